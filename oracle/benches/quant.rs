//! The quant core's hot paths: the allocation QP at n = 10, 50, 200 with a
//! dense and a factor-model Sigma (end to end: validation, assembly,
//! clarabel, active-set polish, KKT check) and the reserve Monte
//! Carlo on one and two threads. `bench/compare.py` sets these against the
//! Python peers (cvxpy + Clarabel, NumPy) in one run.

use std::hint::black_box;

use ballast_oracle::allocate::{random_factor_problem, random_problem, solve_allocation};
use ballast_oracle::fixtures::{reserve_config, reserve_model};
use ballast_oracle::montecarlo::simulate_reserve_values;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn allocation_qp(c: &mut Criterion) {
    let mut group = c.benchmark_group("allocation qp");
    for n in [10, 50, 200] {
        for (form, problem) in [
            ("dense", random_problem(n, 1)),
            ("factor", random_factor_problem(n, 1)),
        ] {
            group.bench_with_input(BenchmarkId::new(form, n), &problem, |b, problem| {
                b.iter(|| solve_allocation(black_box(problem)).expect("a well-posed problem"))
            });
        }
    }
    group.finish();
}

fn reserve_monte_carlo(c: &mut Criterion) {
    const PATHS: usize = 100_000;
    let model = reserve_model();
    let config = reserve_config(PATHS, 1);
    let mut group = c.benchmark_group("reserve monte carlo");
    group.throughput(Throughput::Elements(PATHS as u64));
    group.sample_size(20);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| {
                pool.install(|| simulate_reserve_values(black_box(&model), &config))
                    .expect("a valid fixture")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, allocation_qp, reserve_monte_carlo);
criterion_main!(benches);
