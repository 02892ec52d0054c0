// What OSDMap's pg_upmap checks ask of CRUSH (Ceph 16.2 src/crush/CrushWrapper.cc): the roots a rule
// takes, an OSD's ancestor of a type as the rule sees the hierarchy (shadow trees included), and
// verify_upmap, which tells whether an upmapped set still honours the rule's failure domains and roots.
//
// Pure functions over a CrushWrapper; the optional `log` receives the messages Ceph logs at levels -1
// and 1 ("verify_upmap ..."), so a tool can print them where Ceph's would.

import { Errno } from '../common/errors.js';
import { RuleOp } from './types.js';
import type { CrushWrapper } from './wrapper.js';

/** A sink for Ceph's log lines: level as Ceph's dout level (-1 for lderr), text without the prefix. */
export type CrushLog = (level: number, text: string) => void;

/** find_takes_by_rule: the items a rule's take steps name, ascending (a std::set); -ENOENT without the rule. */
export function findTakesByRule(cw: CrushWrapper, rule: number): number[] | number {
  const r = cw.getRule(rule);
  if (r === null) return -Errno.ENOENT;
  const roots = new Set<number>();
  for (const st of r.steps) if (st.op === RuleOp.Take) roots.add(st.arg1);
  return [...roots].sort((a, b) => a - b);
}

/**
 * get_parent_of_type(item, type, rule): with a rule (rule >= 0), the first bucket of `type` found under
 * the rule's take roots (in id order, shadow buckets included) whose subtree contains the item, or 0;
 * without one (rule < 0), the nearest non-shadow ancestor of the type, or 0.
 */
export function getParentOfTypeInRule(cw: CrushWrapper, item: number, type: number, rule: number): number {
  if (rule < 0) return cw.getParentOfType(item, type);
  const roots = findTakesByRule(cw, rule);
  if (typeof roots === 'number') return 0;
  for (const root of roots) {
    for (const candidate of cw.getChildrenOfType(root, type, false)) {
      if (cw.subtreeContains(candidate, item)) return candidate;
    }
  }
  return 0;
}

function setText(s: Iterable<number>): string {
  return [...s].join(',');
}

/**
 * CrushWrapper::verify_upmap: 0 when `up` (an upmapped raw set, holes included) could have come from
 * rule `ruleId` for a pool of `poolSize`: for each chooseleaf step no two OSDs share a bucket of the
 * step's failure-domain type; for each choose step no more buckets of the type than the step picks; and
 * at each emit, the OSDs that emit covers (the product of the numbers the steps since the take choose)
 * lie under the taken root. -ENOENT when the rule does not exist, -EINVAL when the set breaks it.
 */
export function verifyUpmap(cw: CrushWrapper, ruleId: number, poolSize: number, up: ArrayLike<number>, log?: CrushLog): number {
  const rule = cw.getRule(ruleId);
  if (rule === null) {
    log?.(-1, `verify_upmap rule ${ruleId} does not exist`);
    return -Errno.ENOENT;
  }
  let rootBucket = 0;
  let cursor = 0;
  // std::map<int,int> type -> numrep: emplace keeps the first value of a type
  const typeStack = new Map<number, number>();
  for (const step of rule.steps) {
    switch (step.op) {
      case RuleOp.Take:
        rootBucket = step.arg1;
        break;
      case RuleOp.ChooseleafFirstN:
      case RuleOp.ChooseleafIndep: {
        let numrep = step.arg1;
        const type = step.arg2;
        if (numrep <= 0) numrep += poolSize;
        if (!typeStack.has(type)) typeStack.set(type, numrep);
        if (type === 0) break;
        const byParent = new Map<number, Set<number>>();
        for (let i = 0; i < up.length; i++) {
          const osd = up[i]!;
          const parent = getParentOfTypeInRule(cw, osd, type, ruleId);
          if (parent < 0) {
            let s = byParent.get(parent);
            if (s === undefined) {
              s = new Set();
              byParent.set(parent, s);
            }
            s.add(osd);
          } else {
            log?.(1, `verify_upmap unable to get parent of osd.${osd}, skipping for now`);
          }
        }
        // std::map iterates parents ascending; the first with two or more OSDs is reported
        for (const parent of [...byParent.keys()].sort((a, b) => a - b)) {
          const osds = byParent.get(parent)!;
          if (osds.size > 1) {
            const sorted = [...osds].sort((a, b) => a - b);
            log?.(-1, `verify_upmap multiple osds ${setText(sorted)} come from same failure domain ${parent}`);
            return -Errno.EINVAL;
          }
        }
        break;
      }
      case RuleOp.ChooseFirstN:
      case RuleOp.ChooseIndep: {
        let numrep = step.arg1;
        const type = step.arg2;
        if (numrep <= 0) numrep += poolSize;
        if (!typeStack.has(type)) typeStack.set(type, numrep);
        if (type === 0) break;
        const parents = new Set<number>();
        for (let i = 0; i < up.length; i++) {
          const osd = up[i]!;
          const parent = getParentOfTypeInRule(cw, osd, type, ruleId);
          if (parent < 0) parents.add(parent);
          else log?.(1, `verify_upmap unable to get parent of osd.${osd}, skipping for now`);
        }
        if (parents.size > numrep) {
          log?.(-1, `verify_upmap number of buckets ${parents.size} exceeds desired ${numrep}`);
          return -Errno.EINVAL;
        }
        break;
      }
      case RuleOp.Emit: {
        if (rootBucket < 0) {
          let numOsds = 1;
          for (const n of typeStack.values()) numOsds = Math.imul(numOsds, n);
          for (let c = 0; cursor < up.length && c < numOsds; cursor++, c++) {
            const osd = up[cursor]!;
            if (!cw.subtreeContains(rootBucket, osd)) {
              log?.(-1, `verify_upmap osd ${osd} not in bucket ${rootBucket}`);
              return -Errno.EINVAL;
            }
          }
        }
        typeStack.clear();
        rootBucket = 0;
        break;
      }
      default:
        break;
    }
  }
  return 0;
}
