use crate::data;
#[test]
fn scratch_find_seed() {
    for seed in 0..300u64 {
        let ds = data::generate(seed);
        let correct = |f: &&data::Fb| f.kind == "correct";
        let orphan = ds.feedback.iter().filter(correct).filter(|f| f.success == Some(true) && f.faq.is_none()).count();
        let dangling = ds.feedback.iter().filter(|f| f.dangling).count();
        let mut dup = 0;
        let mut q: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> = Default::default();
        for f in ds.feedback.iter().filter(correct) { if let Some(faq) = &f.faq { q.entry(&f.query_id).or_default().insert(faq); } }
        for s in q.values() { if s.len() > 1 { dup += 1; } }
        let nullreg = ds.experts.iter().filter(|e| e.1.is_none()).count();
        let nullts = ds.feedback.iter().filter(|f| f.ts.is_none()).count();
        if orphan > 0 && dangling > 0 && dup > 0 && nullreg > 0 && nullts > 0 && ds.feedback.len() < 40 {
            println!("seed {seed}: n={} experts={} orphan={orphan} dangling={dangling} dup={dup} nullreg={nullreg} nullts={nullts} regs={:?}", ds.feedback.len(), ds.experts.len(), ds.experts.iter().map(|e| e.1.clone()).collect::<Vec<_>>());
        }
    }
}
