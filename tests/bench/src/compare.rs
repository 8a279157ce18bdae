//! `bench compare OLD.json NEW.json`: every number two runs' figures have in common, side by side with
//! new / old, so a run can be read against an earlier one (the committed BENCHMARKS.json) without diffing
//! Markdown.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::figures::BenchFigures;

/// The fields that name a row of a table, joined into its path: `memory_sizes.rows[account 512].warm_p99_ms`.
const ROW_NAMES: [&str; 4] = ["function", "binary", "route", "memory_mb"];

/// Fields left out: histogram buckets and profile lines are read in BENCHMARKS.md, not compared.
const SKIPPED: [&str; 2] = ["counts", "self_cost"];

/// One line per number both runs have: its path, old, new, and new / old.
pub fn compare(old: &BenchFigures, new: &BenchFigures) -> String {
    let (old_numbers, new_numbers) = (numbers(old), numbers(new));
    let mut out = format!(
        "figure\told ({})\tnew ({})\tnew / old\n",
        old.run.date, new.run.date
    );
    for (path, old_value) in &old_numbers {
        let Some(new_value) = new_numbers.get(path) else {
            continue;
        };
        let ratio = if *old_value == 0.0 {
            "–".to_owned()
        } else {
            format!("{:.2}", new_value / old_value)
        };
        let _ = writeln!(out, "{path}\t{old_value}\t{new_value}\t{ratio}");
    }
    out
}

/// Every number in `figures` by its path.
fn numbers(figures: &BenchFigures) -> BTreeMap<String, f64> {
    let mut numbers = BTreeMap::new();
    // A tree of plain structs, maps and numbers always serializes.
    if let Ok(value) = serde_json::to_value(figures) {
        flatten("", &value, &mut numbers);
    }
    numbers
}

fn flatten(path: &str, value: &Value, numbers: &mut BTreeMap<String, f64>) {
    match value {
        Value::Number(number) => {
            if let Some(number) = number.as_f64() {
                numbers.insert(path.to_owned(), number);
            }
        }
        Value::Object(fields) => {
            for (name, field) in fields {
                if SKIPPED.contains(&name.as_str()) {
                    continue;
                }
                let path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                flatten(&path, field, numbers);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let names: Vec<String> = ROW_NAMES
                    .iter()
                    .filter_map(|name| match item.get(name)? {
                        Value::String(text) => Some(text.clone()),
                        Value::Number(number) => Some(number.to_string()),
                        _ => None,
                    })
                    .collect();
                let row = if names.is_empty() {
                    index.to_string()
                } else {
                    names.join(" ")
                };
                flatten(&format!("{path}[{row}]"), item, numbers);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::ColdStartRow;

    #[test]
    fn rows_are_matched_by_name_and_given_their_ratio() {
        let run = |init_ms: f64| {
            let mut figures = BenchFigures::default();
            figures.cold_start.rows.push(ColdStartRow {
                binary: "account".to_owned(),
                init_ms,
                first_request_ms: 20.0,
            });
            figures
        };
        let text = compare(&run(4.0), &run(5.0));
        assert!(
            text.contains("cold_start.rows[account].init_ms\t4\t5\t1.25"),
            "{text}"
        );
        assert!(
            text.contains("cold_start.rows[account].first_request_ms\t20\t20\t1.00"),
            "{text}"
        );
    }
}
