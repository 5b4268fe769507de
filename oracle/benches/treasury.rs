//! Treasury controller benchmarks: one window decision (the MPC roll) and one
//! simulated 92-day run of the optimal controller in the single-shock scenario.
//! Targets: a decision under 5 ms; 3 × 3 × 100 runs under 60 s on 2 cores.

use std::hint::black_box;

use ballast_oracle::rng::stream;
use ballast_oracle::treasury::params::{ControllerOptions, ModelParams};
use ballast_oracle::treasury::scenario::{Scenario, ScenarioSettings};
use ballast_oracle::treasury::simulate::{simulate_path, SimulationOptions};
use ballast_oracle::treasury::strategy::{Observation, OptimalController, Policy, Strategy};
use criterion::{criterion_group, criterion_main, Criterion};

fn window_decision(c: &mut Criterion) {
    let model = ModelParams::default();
    let observation = Observation {
        window: 0,
        cash: 5.0e7,
        bills: 9.0e9,
        supply: model.supply,
        deviation: 5.0e-4,
        max_reallocation: model.max_reallocation(model.supply),
    };
    c.bench_function("treasury window decision (cold start)", |b| {
        b.iter(|| {
            let mut controller = OptimalController::new(model, ControllerOptions::default());
            black_box(controller.decide(black_box(&observation)))
        })
    });
}

fn simulated_run(c: &mut Criterion) {
    let model = ModelParams::default();
    let options = SimulationOptions::default();
    let mut group = c.benchmark_group("treasury run");
    group.sample_size(20);
    group.bench_function("optimal control, single shock, 92 days", |b| {
        let mut run = 0;
        b.iter(|| {
            run += 1;
            let mut controller = OptimalController::new(model, ControllerOptions::default());
            black_box(simulate_path(
                &model,
                &ScenarioSettings::default(),
                Scenario::SingleShock,
                &options,
                Strategy::Optimal.initial_reserves(model.supply),
                &mut controller,
                None,
                &mut stream(1, run),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, window_decision, simulated_run);
criterion_main!(benches);
