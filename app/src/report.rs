//! Printing the reserve's state, as a table or as JSON lines.

use std::collections::HashMap;

use ballast_sdk::ReserveStatus;

/// Prints `reserve` under the heading `step`; `symbols` maps mint addresses
/// to short names where they are known.
pub fn print_status(step: &str, reserve: &ReserveStatus, symbols: &HashMap<String, String>, json: bool) {
    if json {
        let line = serde_json::json!({ "step": step, "reserve": reserve });
        println!("{line}");
        return;
    }
    println!("\n== {step}");
    println!(
        "  {:<8} {:<7} {:>18} {:>12} {:>16} {:>8} {:>8} {:>8}",
        "asset", "kind", "amount", "price", "value", "weight", "target", "cap"
    );
    for asset in &reserve.assets {
        let name = symbols.get(&asset.mint).cloned().unwrap_or_else(|| asset.mint[..8].to_string());
        println!(
            "  {:<8} {:<7} {:>18.6} {:>12.4} {:>16.2} {:>7.2}% {:>7.2}% {:>7.2}%{}",
            name,
            asset.kind,
            asset.amount,
            asset.price,
            asset.value,
            asset.weight * 100.0,
            asset.target_weight * 100.0,
            asset.weight_cap * 100.0,
            if asset.enabled { "" } else { "  (disabled)" },
        );
    }
    let cr = reserve
        .collateral_ratio
        .map(|cr| format!("{cr:.6}"))
        .unwrap_or_else(|| "unbounded (no supply)".into());
    println!(
        "  V = ${:.2}   S = {:.6}   CR = {}   r = {:.4}",
        reserve.value, reserve.supply, cr, reserve.redemption_rate
    );
    let capital = &reserve.capital;
    let shown = |ratio: Option<f64>| ratio.map(|r| format!("{r:.4}")).unwrap_or_else(|| "n/a".into());
    println!(
        "  MCR = {} (floor {:.2})   CCB = {} (floor {:.2})",
        shown(capital.minimum_capital_ratio),
        capital.min_capital_ratio,
        shown(capital.countercyclical_buffer),
        capital.min_countercyclical_buffer
    );
}
