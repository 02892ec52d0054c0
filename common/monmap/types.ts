// MonMap: which monitors form the cluster, their names, ranks and addresses (Ceph's src/mon/MonMap.h,
// Pacific encoding version 9). Shared by monitors, daemons and clients.
//
// Contract (written by the lead; encoding and helpers: common/monmap/encoding.ts, monmap.ts).
// Ranks: Ceph derives them; in Pacific `calc_legacy_ranks` orders monitors by their public address
// (entity_addr_t order) unless the map says otherwise. `ranks[r]` is the name at rank r.

import type { EntityAddrVec, UTime } from '../osdmap/index.js';

export interface MonInfo {
  name: string;
  publicAddrs: EntityAddrVec;
  priority: number; // u16
  weight: number; // u16
  crushLoc: Map<string, string>;
}

export interface MonMap {
  fsid: string; // uuid text
  epoch: number;
  lastChanged: UTime;
  created: UTime;
  /** By name; iterate in name order when encoding (Ceph's std::map). */
  mons: Map<string, MonInfo>;
  /** Name at each rank (derived; not encoded). */
  ranks: string[];
  persistentFeatures: bigint; // mon_feature_t
  optionalFeatures: bigint;
  minMonRelease: number; // ceph_release_t
  removedRanks: Set<number>;
  strategy: number; // election strategy: 1 classic, 2 disallow, 3 connectivity
  disallowedLeaders: Set<string>;
  stretchModeEnabled: boolean;
  tiebreakerMon: string;
  stretchMarkedDownMons: Set<string>;
}

export const ElectionStrategy = { CLASSIC: 1, DISALLOW: 2, CONNECTIVITY: 3 } as const;
