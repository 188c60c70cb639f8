//! The order in which pidns-tree's init starts a tree, and the PIDs that order gives.
//!
//! **Default order** (crates/core/src/init/node.rs today): each namespace's init forks its
//! `processes` in spec order, then clones its child namespaces in spec order; for a child
//! whose PID 1 is the user's command it then forks that child's processes into it (setns)
//! before the next clone. A cloned init starts its own namespace the same way, concurrently
//! with its parent and its siblings. So within one init everything is sequential, while
//! sibling subtrees race: a PID in a namespace is determined only when everything that can
//! take a number there first is ordered before it. For each process and each level this module
//! gives the smallest and the largest PID it can get (a number between can occur too); when
//! they are equal the PID is determined.
//!
//! **Reproducible order** (`reproduciblePids`, see `pidns_model::Plan::reproducible_pids`):
//! every item in plan order, one at a time: a namespace's PID 1, its processes in spec order,
//! then its children's subtrees. In a namespace X, the k-th item of that order within X's
//! subtree (X's PID 1 first) is PID k. That order is one of the default order's possible
//! interleavings, so reproducible PIDs always lie within the default ranges.
//!
//! Both assume the tree's programs do not fork before the whole tree is up: a program that
//! forks at once takes numbers too (in its namespace and every one above).
use pidns_model::Plan;

use crate::kernel::Pid;

/// One thing the start-up creates: a namespace's PID 1 (`process` None) or one of its
/// processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub node: usize,
    pub process: Option<usize>,
}

/// The PIDs an item gets: for each level from the root namespace down to its own, the
/// smallest and largest number possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predicted {
    pub item: Item,
    pub ranges: Vec<(Pid, Pid)>,
}

impl Predicted {
    pub fn determined(&self) -> bool {
        self.ranges.iter().all(|(lo, hi)| lo == hi)
    }
}

/// Every item in plan order (the reproducible order), with its PIDs at every level.
pub fn predict(plan: &Plan) -> Vec<Predicted> {
    let order = plan_order(plan);
    let reproducible = reproducible_pids(plan, &order);
    if plan.reproducible_pids {
        return order
            .iter()
            .zip(reproducible)
            .map(|(&item, pids)| Predicted { item, ranges: pids.iter().map(|&p| (p, p)).collect() })
            .collect();
    }
    let threads = Threads::new(plan);
    order.iter().map(|&item| Predicted { item, ranges: threads.ranges(plan, item) }).collect()
}

/// Plan order: each node's PID 1, its processes, then its children's subtrees (pre-order).
pub fn plan_order(plan: &Plan) -> Vec<Item> {
    let mut out = Vec::new();
    fn visit(plan: &Plan, node: usize, out: &mut Vec<Item>) {
        out.push(Item { node, process: None });
        out.extend((0..plan.nodes[node].processes.len()).map(|p| Item { node, process: Some(p) }));
        for &c in &plan.nodes[node].children {
            visit(plan, c, out);
        }
    }
    visit(plan, 0, &mut out);
    out
}

/// The ancestors of `node` and itself, root first (index = level).
fn lineage(plan: &Plan, node: usize) -> Vec<usize> {
    let mut out = vec![node];
    while let Some(p) = plan.nodes[*out.last().unwrap_or(&node)].parent {
        out.push(p);
    }
    out.reverse();
    out
}

/// PIDs in the reproducible order: in namespace X, one more than the items of X's subtree
/// that come before it.
pub fn reproducible_pids(plan: &Plan, order: &[Item]) -> Vec<Vec<Pid>> {
    let mut taken = vec![0 as Pid; plan.nodes.len()];
    order
        .iter()
        .map(|item| {
            lineage(plan, item.node)
                .into_iter()
                .map(|x| {
                    taken[x] += 1;
                    taken[x]
                })
                .collect()
        })
        .collect()
}

/// One init's start-up: what it creates, in order. Clones of child namespaces with our init
/// start a thread of their own.
struct Threads {
    /// Per node with our init: its actions.
    actions: Vec<Vec<Item>>,
    /// Per node: (the thread that creates its PID 1, the index of that clone there).
    created_by: Vec<Option<(usize, usize)>>,
    /// Per node: the items of its subtree (its PID 1 included).
    total: Vec<Pid>,
}

impl Threads {
    fn new(plan: &Plan) -> Threads {
        let n = plan.nodes.len();
        let mut actions = vec![Vec::new(); n];
        let mut created_by = vec![None; n];
        for (i, node) in plan.nodes.iter().enumerate() {
            if node.init.command.is_some() {
                continue;
            }
            let acts = &mut actions[i];
            acts.extend((0..node.processes.len()).map(|p| Item { node: i, process: Some(p) }));
            for &c in &node.children {
                created_by[c] = Some((i, acts.len()));
                acts.push(Item { node: c, process: None });
                if plan.nodes[c].init.command.is_some() {
                    acts.extend((0..plan.nodes[c].processes.len()).map(|p| Item { node: c, process: Some(p) }));
                }
            }
        }
        let mut total = vec![0; n];
        for i in (0..n).rev() {
            total[i] = 1
                + plan.nodes[i].processes.len() as Pid
                + plan.nodes[i].children.iter().map(|&c| total[c]).sum::<Pid>();
        }
        Threads { actions, created_by, total }
    }

    /// The thread (node whose init runs it) and index of the action that creates `item`.
    fn position(&self, plan: &Plan, item: Item) -> Option<(usize, usize)> {
        match item.process {
            None => self.created_by[item.node],
            Some(p) if plan.nodes[item.node].init.command.is_none() => Some((item.node, p)),
            // Forked into a user's namespace by its parent's init, right after the clone.
            Some(p) => self.created_by[item.node].map(|(t, i)| (t, i + 1 + p)),
        }
    }

    /// Items the action creates or makes happen after it in its own subtree: a clone of a
    /// namespace with our init brings that whole subtree.
    fn weight(&self, plan: &Plan, action: Item) -> Pid {
        match action.process {
            None if plan.nodes[action.node].init.command.is_none() => self.total[action.node],
            _ => 1,
        }
    }

    fn ranges(&self, plan: &Plan, item: Item) -> Vec<(Pid, Pid)> {
        let levels = lineage(plan, item.node);
        let Some((thread, index)) = self.position(plan, item) else {
            // The root's PID 1: 1, and nothing else.
            return vec![(1, 1)];
        };
        levels
            .iter()
            .map(|&x| {
                if x == item.node && item.process.is_none() {
                    return (1, 1);
                }
                if plan.nodes[x].init.command.is_some() {
                    // Everything in a user's namespace comes from one init, in order.
                    let pid = 2 + item.process.unwrap_or(0) as Pid;
                    return (pid, pid);
                }
                // Before it for sure: X's PID 1, and on the chain of threads from X's own down
                // to the one that creates the item, everything each did before.
                let mut before: Pid = 1;
                let mut t = thread;
                let mut upto = index;
                loop {
                    before += upto as Pid;
                    if t == x {
                        break;
                    }
                    let Some((parent, at)) = self.created_by[t] else { break };
                    t = parent;
                    upto = at + 1;
                }
                // After it for sure: what its own thread does later, and what it brings.
                let acts = &self.actions[thread];
                let after: Pid = (self.weight(plan, acts[index]) - 1)
                    + acts[index + 1..].iter().map(|&a| self.weight(plan, a)).sum::<Pid>();
                (before + 1, self.total[x] - after)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pidns_model::{parse_spec, Limits};

    fn plan(text: &str) -> Plan {
        Plan::from_spec(&parse_spec(text, Limits::default()).unwrap())
    }

    fn proc(name: &str) -> String {
        format!(r#"{{"name": "{name}", "command": ["x"]}}"#)
    }

    /// root (r1, r2) / a (a1, a2) / b (b1), and root / c (c1).
    fn sample(extra: &str) -> Plan {
        plan(&format!(
            r#"{{"name": "root", {extra} "processes": [{}, {}], "children": [
                {{"name": "a", "processes": [{}, {}], "children": [{{"name": "b", "processes": [{}]}}]}},
                {{"name": "c", "processes": [{}]}}]}}"#,
            proc("r1"),
            proc("r2"),
            proc("a1"),
            proc("a2"),
            proc("b1"),
            proc("c1")
        ))
    }

    fn find<'a>(p: &'a [Predicted], plan: &Plan, node: &str, process: Option<&str>) -> &'a Predicted {
        p.iter()
            .find(|x| {
                plan.nodes[x.item.node].path == node
                    && x.item.process.map(|i| plan.nodes[x.item.node].processes[i].name.as_str()) == process
            })
            .unwrap()
    }

    #[test]
    fn own_namespace_pids_are_determined_ancestors_race() {
        let plan = sample("");
        let p = predict(&plan);
        assert_eq!(find(&p, &plan, "root", None).ranges, [(1, 1)]);
        assert_eq!(find(&p, &plan, "root", Some("r2")).ranges, [(3, 3)]);
        assert_eq!(find(&p, &plan, "root/a", None).ranges, [(4, 4), (1, 1)]);
        // a's init forks a1 while root's clones c (which may start c1): 5 to 7 in root.
        assert_eq!(find(&p, &plan, "root/a", Some("a1")).ranges, [(5, 7), (2, 2)]);
        assert_eq!(find(&p, &plan, "root/a/b", Some("b1")).ranges, [(8, 10), (5, 5), (2, 2)]);
        assert_eq!(find(&p, &plan, "root/c", None).ranges, [(5, 9), (1, 1)]);
        assert_eq!(find(&p, &plan, "root/c", Some("c1")).ranges, [(6, 10), (2, 2)]);
        assert!(find(&p, &plan, "root/a", None).determined());
        assert!(!find(&p, &plan, "root/c", None).determined());
    }

    #[test]
    fn reproducible_order_is_plan_order_and_within_the_ranges() {
        let plan = sample(r#""reproduciblePids": true,"#);
        let p = predict(&plan);
        assert!(p.iter().all(Predicted::determined));
        let pids: Vec<(String, Vec<Pid>)> = p
            .iter()
            .map(|x| {
                let n = &plan.nodes[x.item.node];
                let name = x.item.process.map(|i| n.processes[i].name.clone()).unwrap_or("init".into());
                (format!("{}:{name}", n.path), x.ranges.iter().map(|r| r.0).collect())
            })
            .collect();
        let expected: Vec<(String, Vec<Pid>)> = [
            ("root:init", vec![1]),
            ("root:r1", vec![2]),
            ("root:r2", vec![3]),
            ("root/a:init", vec![4, 1]),
            ("root/a:a1", vec![5, 2]),
            ("root/a:a2", vec![6, 3]),
            ("root/a/b:init", vec![7, 4, 1]),
            ("root/a/b:b1", vec![8, 5, 2]),
            ("root/c:init", vec![9, 1]),
            ("root/c:c1", vec![10, 2]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(pids, expected);
        let default = predict(&sample(""));
        for (r, d) in p.iter().zip(&default) {
            for ((pid, _), (lo, hi)) in r.ranges.iter().zip(&d.ranges) {
                assert!(lo <= pid && pid <= hi, "{:?} outside {:?}", r, d);
            }
        }
    }

    #[test]
    fn a_users_pid_1_gets_its_processes_from_the_parent_in_order() {
        let plan = plan(&format!(
            r#"{{"name": "h", "children": [
                {{"name": "z", "init": {{"command": ["sleep", "1"]}}, "processes": [{}, {}]}},
                {{"name": "y", "processes": [{}]}}]}}"#,
            proc("f"),
            proc("g"),
            proc("w")
        ));
        let p = predict(&plan);
        assert_eq!(find(&p, &plan, "h/z", None).ranges, [(2, 2), (1, 1)]);
        assert_eq!(find(&p, &plan, "h/z", Some("g")).ranges, [(4, 4), (3, 3)]);
        assert_eq!(find(&p, &plan, "h/y", None).ranges, [(5, 5), (1, 1)]);
        assert_eq!(find(&p, &plan, "h/y", Some("w")).ranges, [(6, 6), (2, 2)]);
    }
}
