#!/usr/bin/env node
// crushtool: a drop-in for Ceph 16.2's crushtool (src/tools/crushtool.cc). Same options, same stages
// (input/build, tunables, modifications, display/test, output), same messages, exit statuses and
// output bytes. The work is done by the pure modules under crush/; this file only parses the command
// line, reads and writes files, and prints.

import { readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isatty } from 'node:tty';

import { CephError, Errno } from '../common/errors.js';
import { buildCrushMap, BuildLayer } from '../crush/build.js';
import { CrushWrapper } from '../crush/wrapper.js';
import { decodeCrushMap, encodeCrushMap } from '../crush/encoding.js';
import { crushtoolDump } from '../crush/dump.js';
import { CrushCompileError, compileCrushMap } from '../crush/compiler.js';
import { decompileCrushMap } from '../crush/decompiler.js';
import { crushtoolTree } from '../crush/tree.js';
import {
  CrushTesterFault,
  checkOverlappedRules,
  crushWorkingSize,
  crushCompare,
  crushTest,
  defaultTesterOptions,
  formatFloatG,
  testerDeviceWeight,
} from '../crush/tester.js';
import { byteString, cppStrerror, isMainModule, readWholeFile, writeWholeFile } from './shell.js';
import { ArgCursor, ExitNow, atof, atoi } from './argparse.js';

/** Where crushtool's bytes go; the defaults are the process's own streams and directory. */
export interface CrushtoolIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** argv[0] as Ceph prints it in messages ("crushtool: ..."). */
  argv0: string;
  /** Standard input, for `-i -`; null when it is a terminal. */
  readStdin(): Buffer | null;
  /** The CEPH_ARGS environment variable: generic Ceph options (--version, --name, --show_args...). */
  cephArgs: string | undefined;
}

function processIo(): CrushtoolIo {
  return {
    stdout: (s) => process.stdout.write(Buffer.from(s, 'latin1')),
    stderr: (s) => process.stderr.write(Buffer.from(s, 'latin1')),
    cwd: process.cwd(),
    argv0: 'crushtool',
    cephArgs: byteString(process.env['CEPH_ARGS']),
    readStdin: () => {
      if (isatty(0)) return null;
      const chunks: Buffer[] = [];
      const buf = Buffer.alloc(1 << 20);
      for (;;) {
        let n = 0;
        try {
          n = readSync(0, buf, 0, buf.length, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
          if ((e as NodeJS.ErrnoException).code === 'EOF') break;
          throw e;
        }
        if (n === 0) break;
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
      return Buffer.concat(chunks);
    },
  };
}

/** A process exit status from main()'s int, as the C runtime truncates it. */
function exitStatus(r: number): number {
  return r & 0xff;
}

/** The errno a wrapper call reports, whether it returns a negative number or throws CephError. */
function callErrno(fn: () => unknown): number {
  try {
    const r = fn();
    return typeof r === 'number' ? r : 0;
  } catch (e) {
    // Inputs on which Ceph asserts are not errnos: they end the program as Ceph's abort does.
    if (e instanceof CephError && !isCephAbort(e)) return -e.errno;
    throw e;
  }
}

/** Ceph's `operator<<(ostream&, const vector<const char*>&)`: "[a,b]". */
function formatArgs(args: string[]): string {
  return `[${args.join(',')}]`;
}

/** Ceph's `operator<<(ostream&, const map<string,string>&)`: "{k=v,k2=v2}". */
function formatLoc(loc: Map<string, string>): string {
  return `{${[...loc.entries()].map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

/** Byte-order (std::string <) sorted copy of a location map, as std::map<string,string> keeps it. */
function sortedLoc(loc: Map<string, string>): Map<string, string> {
  const keys = [...loc.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return new Map(keys.map((k) => [k, loc.get(k)!]));
}

const USAGE = `usage: crushtool ...

Display, modify and test a crush map

There are five stages, running one after the other:

 - input/build
 - tunables adjustments
 - modifications
 - display/test
 - output

Options that are not specific to a stage.

   [--infn|-i infile]
                         read the crush map from infile

Options for the input/build stage

   --decompile|-d map    decompile a crush map to source
   [--outfn|-o outfile]
                         specify output for for (de)compilation
   --compile|-c map.txt  compile a map from source
   --enable-unsafe-tunables
                         compile with unsafe tunables
   --build --num_osds N layer1 ...
                         build a new map, where each 'layer' is
                         'name (uniform|straw2|straw|list|tree) size'

Options for the tunables adjustments stage

   --set-choose-local-tries N
                         set choose local retries before re-descent
   --set-choose-local-fallback-tries N
                         set choose local retries using fallback
                         permutation before re-descent
   --set-choose-total-tries N
                         set choose total descent attempts
   --set-chooseleaf-descend-once <0|1>
                         set chooseleaf to (not) retry the recursive descent
   --set-chooseleaf-vary-r <0|1>
                         set chooseleaf to (not) vary r based on parent
   --set-chooseleaf-stable <0|1>
                         set chooseleaf firstn to (not) return stable results

Options for the modifications stage

   -i mapfn --add-item id weight name [--loc type name ...]
                         insert an item into the hierarchy at the
                         given location
   -i mapfn --update-item id weight name [--loc type name ...]
                         insert or move an item into the hierarchy at the
                         given location
   -i mapfn --remove-item name
                         remove the given item
   -i mapfn --reweight-item name weight
                         reweight a given item (and adjust ancestor
                         weights as needed)
   -i mapfn --add-bucket name type [--loc type name ...]
                         insert a bucket into the hierarchy at the given
                         location
   -i mapfn --move       name --loc type name ...
                         move the given item to specified location
   -i mapfn --reweight   recalculate all bucket weights
   -i mapfn --rebuild-class-roots
                         rebuild the per-class shadow trees (normally a no-op)
   -i mapfn --create-simple-rule name root type mode
                         create crush rule <name> to start from <root>,
                         replicate across buckets of type <type>, using
                         a choose mode of <firstn|indep>
   -i mapfn --create-replicated-rule name root type
                         create crush rule <name> to start from <root>,
                         replicate across buckets of type <type>
   --device-class <class>
                         use device class <class> for new rule
   -i mapfn --remove-rule name
                         remove the specified crush rule

Options for the display/test stage

   -f --format           the format of --dump, defaults to json-pretty
                         can be one of json, json-pretty, xml, xml-pretty,
                         table, table-kv, html, html-pretty
   --dump                dump the crush map
   --tree                print map summary as a tree
   --bucket-tree         print bucket map summary as a tree
   --bucket-name         specify bucket bucket name for bucket-tree
   --check [max_id]      check if any item is referencing an unknown name/type
   -i mapfn --show-location id
                         show location for given device id
   -i mapfn --test       test a range of inputs on the map
      [--min-x x] [--max-x x] [--x x]
      [--min-rule r] [--max-rule r] [--rule r] [--ruleset rs]
      [--num-rep n]
      [--pool-id n]      specifies pool id
      [--batches b]      split the CRUSH mapping into b > 1 rounds
      [--weight|-w devno weight]
                         where weight is 0 to 1.0
      [--simulate]       simulate placements using a random
                         number generator in place of the CRUSH
                         algorithm
   --show-utilization    show OSD usage
   --show-utilization-all
                         include zero weight items
   --show-statistics     show chi squared statistics
   --show-mappings       show mappings
   --show-bad-mappings   show bad mappings
   --show-choose-tries   show choose tries histogram
   --output-name name
                         prepend the data file(s) generated during the
                         testing routine with name
   --output-csv
                         export select data generated during testing routine
                         to CSV files for off-line post-processing
                         use --help-output for more information
   --reclassify          transform legacy CRUSH map buckets and rules
                         by adding classes
      --reclassify-bucket <bucket-match> <class> <default-parent>
      --reclassify-root <bucket-name> <class>
   --set-subtree-class <bucket-name> <class>
                         set class for all items beneath bucket-name
   --compare <otherfile> compare two maps using --test parameters

Options for the output stage

   [--outfn|-o outfile]
                         specify output for modified crush map

`;

const DATA_ANALYSIS_USAGE = `data output from testing routine ...
           absolute_weights
                  the decimal weight of each OSD
                  data layout: ROW MAJOR
                               OSD id (int), weight (int)
           batch_device_expected_utilization_all
                  the expected number of objects each OSD should receive per placement batch
                  which may be a decimal value
                  data layout: COLUMN MAJOR
                               round (int), objects expected on OSD 0...OSD n (float)
           batch_device_utilization_all
                  the number of objects stored on each OSD during each placement round
                  data layout: COLUMN MAJOR
                               round (int), objects stored on OSD 0...OSD n (int)
           device_utilization_all
                  the number of objects stored on each OSD at the end of placements
                  data_layout: ROW MAJOR
                               OSD id (int), objects stored (int), objects expected (float)
           device_utilization
                  the number of objects stored on each OSD marked 'up' at the end of placements
                  data_layout: ROW MAJOR
                               OSD id (int), objects stored (int), objects expected (float)
           placement_information
                  the map of input -> OSD
                  data_layout: ROW MAJOR
                               input (int), OSD's mapped (int)
           proportional_weights_all
                  the proportional weight of each OSD specified in the CRUSH map
                  data_layout: ROW MAJOR
                               OSD id (int), proportional weight (float)
           proportional_weights
                  the proportional weight of each 'up' OSD specified in the CRUSH map
                  data_layout: ROW MAJOR
                               OSD id (int), proportional weight (float)
`;

/**
 * The whole of crushtool. Returns the process exit status. `argv` and everything written to the sinks
 * are byte strings (one char per byte), as C sees them; the command below converts at the edges.
 */
export async function main(argv: string[], ioIn?: Partial<CrushtoolIo>): Promise<number> {
  const io: CrushtoolIo = { ...processIo(), ...ioIn };
  try {
    return await run(argv.slice(), io);
  } catch (e) {
    if (e instanceof ExitNow) return e.status;
    if (e instanceof CrushTesterFault) {
      // Ceph dies of a signal here; its crash report (stack, log dump) is not reproduced.
      if (e.signal === 'SIGFPE') {
        io.stderr('*** Caught signal (Floating point exception) **\n');
        return 128 + 8;
      }
      if (e.signal === 'SIGSEGV') {
        io.stderr('*** Caught signal (Segmentation fault) **\n');
        return 128 + 11;
      }
      io.stderr(
        `${io.argv0}: ./src/crush/mapper.c:886: crush_init_workspace: Assertion ` +
          "`!((char *)point - (char *)w != m->working_size)' failed.\n" +
          '*** Caught signal (Aborted) **\n',
      );
      return 128 + 6;
    }
    if (isCephAbort(e)) {
      // A path where Ceph's own code trips an assertion: it dies of SIGABRT after its report.
      const msg = (e as { crushtoolMessage?: unknown }).crushtoolMessage;
      if (typeof msg === 'string') io.stderr(msg);
      io.stderr('*** Caught signal (Aborted) **\n');
      return 128 + 6;
    }
    throw e;
  }
}

/**
 * The crush modules mark errors for inputs on which Ceph asserts (rather than reporting an error) with
 * `crushtoolAborts: true` (as CrushCompileError does) or `signal: 'SIGABRT'`.
 */
function isCephAbort(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as { crushtoolAborts?: unknown; signal?: unknown };
  return x.crushtoolAborts === true || x.signal === 'SIGABRT';
}

async function run(args: string[], io: CrushtoolIo): Promise<number> {
  const me = io.argv0;
  const cout = io.stdout;
  const cerr = io.stderr;
  // Names, paths and messages are byte strings (one char per byte); the file system gets the bytes.
  const cwdBytes = Buffer.from(io.cwd, 'utf8').toString('latin1');
  const path = (p: string): Buffer => Buffer.from(isAbsolute(p) ? p : resolve(cwdBytes, p), 'latin1');

  if (args.length === 0) {
    cerr(`${me}: -h or --help for usage\n`);
    return 1;
  }
  if (args.some((a) => a === '-h' || a === '--help')) {
    cout(USAGE);
    return 0;
  }
  // global_init: crushtool hands it no command line words, only CEPH_ARGS.
  const early = cephEarlyArgs(io.cephArgs, cout, cerr);
  if (early !== null) return early;

  let infn = '';
  let srcfn = '';
  let outfn = '';
  let addName = '';
  let addType = '';
  let removeName = '';
  let reweightName = '';
  let moveName = '';
  let compile = false;
  let decompile = false;
  let check = false;
  let maxId = -1;
  let test = false;
  let display = false;
  let tree = false;
  let bucketTree = false;
  let bucketName = '';
  let dumpFormat = 'json-pretty';
  let dump = false;
  let fullLocation = -1;
  let writeToFile = false;
  let verbose = 0;
  let unsafeTunables = false;
  let rebuildClassRoots = false;
  let reweight = false;
  let addItem = -1;
  let addBucket = false;
  let updateItem = false;
  let moveItem = false;
  let addRule = false;
  let ruleName = '';
  let ruleRoot = '';
  let ruleType = '';
  let ruleMode = '';
  let ruleDeviceClass = '';
  let delRule = false;
  let addWeight = 0;
  const addLoc = new Map<string, string>();
  let reweightWeight = 0;
  let adjust = false;
  let build = false;
  let numOsds = 0;
  const layers: BuildLayer[] = [];
  const tunables = {
    chooseLocalTries: -1,
    chooseLocalFallbackTries: -1,
    chooseTotalTries: -1,
    chooseleafDescendOnce: -1,
    chooseleafVaryR: -1,
    chooseleafStable: -1,
    strawCalcVersion: -1,
    allowedBucketAlgs: -1,
  };
  let reclassify = false;
  const reclassifyRoot = new Map<string, string>();
  const reclassifyBucket = new Map<string, readonly [string, string]>();
  const setSubtreeClass = new Map<string, string>();
  let compare = '';
  const tester = defaultTesterOptions();

  const c = new ArgCursor(args, cerr);
  const failIfErr = (): void => {
    if (c.err) {
      cerr(c.err + '\n');
      throw new ExitNow(1);
    }
  };
  const int = (fallback: number, ...names: string[]): number | null => {
    const v = c.withNumber('int', fallback, ...names);
    return v === null ? null : Number(v);
  };

  const readItemArgs = (which: string): boolean => {
    failIfErr();
    if (c.done) {
      cerr(`expecting additional argument to ${which}\n`);
      return false;
    }
    addWeight = Math.fround(atof(c.take()!));
    if (c.done) {
      cerr(`expecting additional argument to ${which}\n`);
      return false;
    }
    addName = c.take()!;
    return true;
  };

  while (!c.done) {
    let v: string | null;
    let n: number | null;
    if (c.doubleDash()) break;
    else if ((v = c.withArg('-d', '--decompile')) !== null) {
      infn = v;
      decompile = true;
    } else if ((v = c.withArg('-i', '--infn')) !== null) infn = v;
    else if ((v = c.withArg('-o', '--outfn')) !== null) outfn = v;
    else if (c.flag('-v', '--verbose')) verbose += 1;
    else if ((v = c.withArg('--compare')) !== null) compare = v;
    else if (c.flag('--reclassify')) reclassify = true;
    else if ((v = c.withArg('--reclassify-bucket')) !== null) {
      if (c.done) {
        cerr('expecting additional argument\n');
        return 1;
      }
      const cls = c.take()!;
      if (c.done) {
        cerr('expecting additional argument\n');
        return 1;
      }
      reclassifyBucket.set(v, [cls, c.take()!]);
    } else if ((v = c.withArg('--reclassify-root')) !== null) {
      if (c.done) {
        cerr('expecting additional argument\n');
        return 1;
      }
      reclassifyRoot.set(v, c.take()!);
    } else if ((v = c.withArg('--set-subtree-class')) !== null) {
      if (c.done) {
        cerr('expecting additional argument\n');
        return 1;
      }
      setSubtreeClass.set(v, c.take()!);
    } else if (c.flag('--tree')) tree = true;
    else if (c.flag('--bucket-tree')) bucketTree = true;
    else if ((v = c.withArg('--bucket-name')) !== null) bucketName = v;
    else if ((v = c.withArg('-f', '--format')) !== null) dumpFormat = v;
    else if (c.flag('--dump')) dump = true;
    else if (c.flag('--show_utilization')) {
      display = true;
      tester.outputUtilization = true;
    } else if (c.flag('--show_utilization_all')) {
      display = true;
      tester.outputUtilizationAll = true;
    } else if (c.flag('--show_statistics')) {
      display = true;
      tester.outputStatistics = true;
    } else if (c.flag('--show_mappings')) {
      display = true;
      tester.outputMappings = true;
    } else if (c.flag('--show_bad_mappings')) {
      display = true;
      tester.outputBadMappings = true;
    } else if (c.flag('--show_choose_tries')) {
      display = true;
      tester.outputChooseTries = true;
    } else if ((v = c.withArg('-c', '--compile')) !== null) {
      srcfn = v;
      compile = true;
    } else if ((n = int(maxId, '--check')) !== null) {
      maxId = n;
      check = true;
    } else if (c.flag('-t', '--test')) test = true;
    else if ((n = int(fullLocation, '--show-location')) !== null) fullLocation = n;
    else if (c.flag('-s', '--simulate')) tester.useCrush = false;
    else if (c.flag('--enable-unsafe-tunables')) unsafeTunables = true;
    else if ((n = int(tunables.chooseLocalTries, '--set_choose_local_tries')) !== null) {
      tunables.chooseLocalTries = n;
      adjust = true;
    } else if ((n = int(tunables.chooseLocalFallbackTries, '--set_choose_local_fallback_tries')) !== null) {
      tunables.chooseLocalFallbackTries = n;
      adjust = true;
    } else if ((n = int(tunables.chooseTotalTries, '--set_choose_total_tries')) !== null) {
      tunables.chooseTotalTries = n;
      adjust = true;
    } else if ((n = int(tunables.chooseleafDescendOnce, '--set_chooseleaf_descend_once')) !== null) {
      tunables.chooseleafDescendOnce = n;
      adjust = true;
    } else if ((n = int(tunables.chooseleafVaryR, '--set_chooseleaf_vary_r')) !== null) {
      tunables.chooseleafVaryR = n;
      adjust = true;
    } else if ((n = int(tunables.chooseleafStable, '--set_chooseleaf_stable')) !== null) {
      tunables.chooseleafStable = n;
      adjust = true;
    } else if ((n = int(tunables.strawCalcVersion, '--set_straw_calc_version')) !== null) {
      tunables.strawCalcVersion = n;
      adjust = true;
    } else if ((n = int(tunables.allowedBucketAlgs, '--set_allowed_bucket_algs')) !== null) {
      tunables.allowedBucketAlgs = n;
      adjust = true;
    } else if (c.flag('--reweight')) reweight = true;
    else if (c.flag('--rebuild-class-roots')) rebuildClassRoots = true;
    else if ((n = int(addItem, '--add_item')) !== null) {
      addItem = n;
      if (!readItemArgs('--add-item')) return 1;
    } else if ((n = int(addItem, '--update_item')) !== null) {
      addItem = n;
      updateItem = true;
      if (!readItemArgs('--update-item')) return 1;
    } else if (c.flag('--add-bucket')) {
      const a = c.take();
      if (a === undefined) {
        c.err += `expecting additional argument to 0x7ffdacb4d500`;
      } else {
        addName = a;
        const t = c.take();
        if (t === undefined) c.err += `expecting additional argument to 0x7ffdacb4d500`;
        else addType = t;
      }
      failIfErr();
      addBucket = true;
    } else if (c.flag('--move')) {
      const a = c.take();
      if (a === undefined) c.err += `expecting additional argument to 0x7ffdacb4d500`;
      else moveName = a;
      failIfErr();
      moveItem = true;
    } else if ((v = c.withArgErr('--create-simple-rule')) !== null) {
      ruleName = v;
      failIfErr();
      for (const slot of ['root', 'type', 'mode'] as const) {
        if (c.done) {
          cerr('expecting additional argument to --create-simple-rule\n');
          return 1;
        }
        const w = c.take()!;
        if (slot === 'root') ruleRoot = w;
        else if (slot === 'type') ruleType = w;
        else ruleMode = w;
      }
      cout(`--create-simple-rule: name=${ruleName} root=${ruleRoot} type=${ruleType} mode=${ruleMode}\n`);
      addRule = true;
    } else if ((v = c.withArgErr('--create-replicated-rule')) !== null) {
      ruleName = v;
      failIfErr();
      for (const slot of ['root', 'type'] as const) {
        if (c.done) {
          cerr('expecting additional argument to --create-replicated-rule\n');
          return 1;
        }
        const w = c.take()!;
        if (slot === 'root') ruleRoot = w;
        else ruleType = w;
      }
      ruleMode = 'firstn';
      cout(`--create-replicated-rule: name=${ruleName} root=${ruleRoot} type=${ruleType}\n`);
      addRule = true;
    } else if ((v = c.withArg('--device-class')) !== null) {
      ruleDeviceClass = v;
      failIfErr();
    } else if ((v = c.withArg('--remove-rule')) !== null) {
      ruleName = v;
      failIfErr();
      delRule = true;
    } else if ((v = c.withArg('--loc')) !== null) {
      if (c.done) {
        cerr('expecting additional argument to --loc\n');
        return 1;
      }
      addLoc.set(v, c.take()!);
    } else if (c.flag('--output-csv')) {
      writeToFile = true;
      tester.outputCsv = true;
    } else if (c.flag('--help-output')) {
      cout(DATA_ANALYSIS_USAGE);
      return 0;
    } else if ((v = c.withArg('--output-name')) !== null) {
      if (c.done) {
        cerr('expecting additional argument to --output-name\n');
        return 1;
      }
      tester.outputDataFileName = `${v}-`;
    } else if ((v = c.withArg('--remove_item')) !== null) removeName = v;
    else if ((v = c.withArg('--reweight_item')) !== null) {
      reweightName = v;
      if (c.done) {
        cerr('expecting additional argument to --reweight-item\n');
        return 1;
      }
      reweightWeight = Math.fround(atof(c.take()!));
    } else if (c.flag('--build')) build = true;
    else if ((n = int(numOsds, '--num_osds')) !== null) {
      numOsds = n;
      failIfErr();
    } else if ((n = int(-1, '--num_rep')) !== null) {
      failIfErr();
      tester.minRep = tester.maxRep = n;
    } else if ((n = int(-1, '--max_x')) !== null) {
      failIfErr();
      tester.maxX = n;
    } else if ((n = int(-1, '--min_x')) !== null) {
      failIfErr();
      tester.minX = n;
    } else if ((v = matchPoolId(c)) !== null) {
      failIfErr();
      const z = BigInt(v);
      tester.poolId = z === -1n ? -1 : Number(BigInt.asUintN(32, z));
    } else if ((n = int(-1, '--x')) !== null) {
      failIfErr();
      tester.minX = tester.maxX = n;
    } else if ((n = int(-1, '--max_rule')) !== null) {
      failIfErr();
      tester.maxRule = n;
    } else if ((n = int(-1, '--min_rule')) !== null) {
      failIfErr();
      tester.minRule = n;
    } else if ((n = int(-1, '--rule')) !== null) {
      failIfErr();
      tester.minRule = tester.maxRule = n;
    } else if ((n = int(-1, '--ruleset')) !== null) {
      failIfErr();
      tester.ruleset = n;
    } else if ((n = int(1, '--batches')) !== null) {
      failIfErr();
      tester.numBatches = n;
    } else if ((v = matchFloat(c, '--mark-down-ratio')) !== null) {
      failIfErr();
      tester.markDownDeviceRatio = Number(v);
    } else if ((v = matchFloat(c, '--mark-down-bucket-ratio')) !== null) {
      failIfErr();
      tester.markDownBucketRatio = Number(v);
    } else if ((n = int(0, '--weight')) !== null) {
      failIfErr();
      if (c.done) {
        cerr('expecting additional argument to --weight\n');
        return 1;
      }
      tester.deviceWeight.set(n, testerDeviceWeight(Math.fround(atof(c.take()!))));
    } else c.skip();
  }

  if (test && !check && !display && !writeToFile && compare === '') {
    cerr('WARNING: no output selected; use --output-csv or --show-X\n');
  }
  if (Number(decompile) + Number(compile) + Number(build) > 1) {
    cerr('cannot specify more than one of compile, decompile, and build\n');
    return 1;
  }
  if (
    !check && !compile && !decompile && !build && !test && !reweight && !adjust && !tree && !bucketTree &&
    !dump && addItem < 0 && !addBucket && !moveItem && !addRule && !delRule && fullLocation < 0 &&
    !reclassify && !rebuildClassRoots && compare === '' && removeName === '' && reweightName === ''
  ) {
    cerr('no action specified; -h for help\n');
    return 1;
  }
  if (!build && args.length > 0) {
    cerr(`unrecognized arguments: ${formatArgs(args)}\n`);
    return 1;
  }
  if (build) {
    if (args.length % 3 !== 0) {
      cerr(`remaining args: ${formatArgs(args)}\n`);
      cerr('layers must be specified with 3-tuples of (name, buckettype, size)\n');
      return 1;
    }
    for (let j = 0; j < args.length; j += 3) {
      layers.push({ name: args[j]!, bucketType: args[j + 1]!, size: atoi(args[j + 2]!) });
    }
  }

  let modified = false;
  let cw: CrushWrapper = new CrushWrapper();

  // ---- input
  if (infn !== '') {
    let data: Buffer;
    if (infn === '-') {
      const d = io.readStdin();
      if (d === null) {
        cerr('stdin must not be from a tty\n');
        return 1;
      }
      data = d;
    } else {
      const r = readWholeFile(infn, path(infn));
      if ('error' in r) {
        cerr(`${me}: error reading '${infn}': ${r.error}\n`);
        return 1;
      }
      data = r.data;
    }
    try {
      cw = wrapperFromDecoded(decodeCrushMap(data));
    } catch {
      cerr(`${me}: unable to decode ${infn}\n`);
      return 1;
    }
    // Ceph's decode ends with finalize().
    tester.finalizedWorkingSize = crushWorkingSize(cw.crush);
  }

  if (compile) {
    let text: Buffer;
    try {
      // An ifstream opens a directory, then reads nothing from it.
      text = statSync(path(srcfn)).isDirectory() ? Buffer.alloc(0) : readFileSync(path(srcfn));
    } catch {
      cerr(`input file ${srcfn} not found\n`);
      return exitStatus(-Errno.ENOENT);
    }
    try {
      // Ceph's compiler refuses unsafe tunables unless told; ours takes whatever the text says.
      void unsafeTunables;
      const before = cw;
      cw = compileCrushMap(text, { filename: srcfn, verbose, log: cerr });
      keepUnmentionedNames(before, cw);
      // Ceph's compiler ends with finalize().
      tester.finalizedWorkingSize = crushWorkingSize(cw.crush);
    } catch (e) {
      if (e instanceof CrushCompileError) {
        cerr(e.crushtoolMessage);
        // Where Ceph's compiler trips an assertion, crushtool dies with SIGABRT.
        return e.crushtoolAborts ? 134 : 1;
      }
      if (e instanceof CephError) {
        cerr(e.message.endsWith('\n') ? e.message : `${e.message}\n`);
        return 1;
      }
      throw e;
    }
    modified = true;
  }

  if (build) {
    if (layers.length === 0) {
      cerr(`${me}: must specify at least one layer\n`);
      return 1;
    }
    const r = buildCrushMap(numOsds, layers, { stderr: cerr });
    if (typeof r === 'number') return exitStatus(r);
    cw = r;
    // A map built with create() and add_bucket() was never finalized.
    tester.finalizedWorkingSize = 0;
    modified = true;
  }

  // ---- tunables (through CrushWrapper's setters, which narrow the values as Ceph's fields do)
  const setters: [number, (n: number) => void][] = [
    [tunables.chooseLocalTries, (n) => cw.setChooseLocalTries(n)],
    [tunables.chooseLocalFallbackTries, (n) => cw.setChooseLocalFallbackTries(n)],
    [tunables.chooseTotalTries, (n) => cw.setChooseTotalTries(n)],
    [tunables.chooseleafDescendOnce, (n) => cw.setChooseleafDescendOnce(n)],
    [tunables.chooseleafVaryR, (n) => cw.setChooseleafVaryR(n)],
    [tunables.chooseleafStable, (n) => cw.setChooseleafStable(n)],
    [tunables.strawCalcVersion, (n) => cw.setStrawCalcVersion(n)],
    [tunables.allowedBucketAlgs, (n) => cw.setAllowedBucketAlgs(n)],
  ];
  for (const [value, set] of setters) {
    if (value >= 0) {
      set(value);
      modified = true;
    }
  }

  // ---- modifications
  if (reweightName !== '') {
    cout(`${me} reweighting item ${reweightName} to ${formatFloatG(reweightWeight)}\n`);
    let r: number;
    if (!cw.nameExists(reweightName)) {
      cerr(` name ${reweightName} dne\n`);
      r = -Errno.ENOENT;
    } else {
      const item = cw.getItemId(reweightName);
      r = callErrno(() => cw.adjustItemWeightf(item, reweightWeight));
    }
    if (r >= 0) modified = true;
    else {
      cerr(`${me} ${cppStrerror(r)}\n`);
      return exitStatus(r);
    }
  }

  if (removeName !== '') {
    cout(`${me} removing item ${removeName}\n`);
    let r: number;
    if (!cw.nameExists(removeName)) {
      cerr(` name ${removeName} dne\n`);
      r = -Errno.ENOENT;
    } else {
      const item = cw.getItemId(removeName);
      r = callErrno(() => cw.removeItem(item, false));
    }
    if (r === 0) modified = true;
    else {
      cerr(`${me} ${cppStrerror(r)}\n`);
      return exitStatus(r);
    }
  }

  if (addItem >= 0) {
    const loc = sortedLoc(addLoc);
    const r = updateItem
      ? callErrno(() => cw.updateItem(addItem, addWeight, addName, loc))
      : callErrno(() => cw.insertItem(addItem, addWeight, addName, loc));
    if (r >= 0) modified = true;
    else {
      cerr(`${me} ${cppStrerror(r)}\n`);
      return exitStatus(r);
    }
  }

  if (addBucket) {
    const r = doAddBucket(me, cw, addName, addType, sortedLoc(addLoc), cerr);
    if (r === 0) modified = true;
    else return exitStatus(r);
  }

  if (moveItem) {
    const r = doMoveItem(me, cw, moveName, sortedLoc(addLoc), cerr);
    if (r === 0) modified = true;
    else return exitStatus(r);
  }

  if (addRule) {
    if (cw.ruleExists(ruleName)) {
      cerr(`rule ${ruleName} already exists\n`);
      return 1;
    }
    // Ceph passes its argument-parsing error stream here, so earlier complaints come out first.
    const why = { message: '' };
    const r = cw.addSimpleRule(ruleName, ruleRoot, ruleType, ruleDeviceClass, ruleMode, 1, why);
    if (r < 0) {
      cerr(`${c.err}${why.message}\n`);
      return 1;
    }
    modified = true;
  }

  if (delRule) {
    if (!cw.ruleExists(ruleName)) {
      cerr(`rule ${ruleName} does not exist\n`);
      return 0;
    }
    const ruleno = cw.getRuleId(ruleName);
    const r = callErrno(() => cw.removeRule(ruleno));
    if (r < 0) {
      cerr(`fail to remove rule ${ruleName}\n`);
      return 1;
    }
    modified = true;
  }

  if (reweight) {
    cw.reweight();
    modified = true;
  }
  if (rebuildClassRoots) {
    const r = callErrno(() => cw.rebuildRootsWithClasses());
    if (r < 0) {
      cerr('failed to rebuidl roots with classes\n');
      return 1;
    }
    modified = true;
  }
  for (const [bucket, cls] of setSubtreeClass) {
    callErrno(() => cw.setSubtreeClass(bucket, cls));
    modified = true;
  }
  if (reclassify) {
    const r = cw.reclassify(cout, reclassifyRoot, reclassifyBucket);
    if (r < 0) {
      cerr('failed to reclassify map\n');
      return 1;
    }
    modified = true;
  }

  // ---- display
  if (fullLocation >= 0) {
    const loc = sortedLoc(cw.getFullLocation(fullLocation));
    for (const [k, val] of loc) cout(`${k}\t${val}\n`);
  }
  if (tree) {
    cout(crushtoolTree(cw));
  }
  if (bucketTree) {
    if (bucketName === '') {
      cerr(': error bucket_name is empty\n');
    } else {
      for (const id of leavesOf(cw, bucketName)) cout(`osd.${id}\n`);
    }
  }
  if (dump) cout(crushtoolDump(cw, dumpFormat));

  if (decompile) {
    const text = decompileCrushMap(cw);
    if (outfn !== '') {
      try {
        writeFileSync(path(outfn), text, { encoding: 'latin1', mode: 0o644 });
      } catch {
        cerr(`${me}: error writing '${outfn}'\n`);
        return 1;
      }
    } else {
      cout(text);
    }
  }

  if (check) {
    cout(checkOverlappedRules(cw));
    if (maxId >= 0) {
      const bad = checkNameMaps(cw, maxId);
      if (bad !== null) {
        cout(bad);
        return 1;
      }
    }
  }

  if (test) {
    if (tester.outputUtilizationAll || tester.outputUtilization) tester.outputStatistics = true;
    const r = crushTest(cw, tester, {
      out: cout,
      err: cerr,
      file: (name, text) => {
        try {
          writeFileSync(path(name), text, { encoding: 'latin1', mode: 0o644 });
        } catch {
          // An ofstream that fails to open writes nothing and says nothing.
        }
      },
    });
    if (r < 0) return 1;
  }

  if (compare !== '') {
    const r = readWholeFile(compare, path(compare));
    if ('error' in r) {
      cerr(`${me}: error reading '${compare}': ${r.error}\n`);
      return 1;
    }
    let cw2: CrushWrapper;
    try {
      cw2 = wrapperFromDecoded(decodeCrushMap(r.data));
    } catch {
      cerr(`${me}: unable to decode ${compare}\n`);
      return 1;
    }
    if (crushCompare(cw, cw2, tester, { out: cout, err: cerr }) < 0) return 1;
  }

  // ---- output
  if (modified) {
    cw.finalize();
    if (outfn === '') {
      cout(`${me} successfully built or modified map.  Use '-o <file>' to write it out.\n`);
    } else {
      const bl = encodeCrushMap(cw);
      const r = writeWholeFile(outfn, path(outfn), bl, cerr);
      if (r < 0) {
        cerr(`${me}: error writing '${outfn}': ${cppStrerror(r)}\n`);
        return 1;
      }
      if (verbose) cout(`wrote crush map to ${outfn}\n`);
    }
  }
  return 0;
}

/** --pool-id takes a long long. */
function matchPoolId(c: ArgCursor): string | null {
  const v = c.withNumber('longlong', -1n, '--pool_id');
  return v === null ? null : String(v);
}

function matchFloat(c: ArgCursor, name: string): string | null {
  const v = c.withNumber('float', 0, name);
  return v === null ? null : String(v);
}

/**
 * Ceph compiles into the wrapper it already has, and create() resets only the C map: item, type and
 * rule names of a map read with -i survive where the text does not name the same ids. Class maps are
 * left alone (a map with classes read before -c is not reproduced).
 */
function keepUnmentionedNames(before: CrushWrapper, after: CrushWrapper): void {
  const pairs: [Map<number, string>, Map<number, string>][] = [
    [before.names.nameMap, after.names.nameMap],
    [before.names.typeMap, after.names.typeMap],
    [before.names.ruleNameMap, after.names.ruleNameMap],
  ];
  let changed = false;
  for (const [from, to] of pairs) {
    for (const [id, name] of from) {
      if (!to.has(id)) {
        to.set(id, name);
        changed = true;
      }
    }
  }
  if (changed) after.invalidateRmaps();
}

const CEPH_VERSION = 'ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)';
const ENTITY_TYPES = ['auth', 'mon', 'osd', 'mds', 'mgr', 'client'];

/**
 * ceph_argparse_early_args over CEPH_ARGS (split on spaces): --version/-v prints the version and ends
 * the program, --show_args echoes the words, --name must be TYPE.ID, and options that take a value
 * must have one. Everything else (configuration options) has no visible effect here. Returns an exit
 * status when the program must end, else null.
 */
function cephEarlyArgs(env: string | undefined, cout: (s: string) => void, cerr: (s: string) => void): number | null {
  if (env === undefined) return null;
  const orig = env.split(' ').filter((w) => w !== '');
  const c = new ArgCursor(orig.slice(), cerr);
  while (!c.done) {
    if (c.current === '--') break;
    let v: string | null;
    if (c.flag('--version', '-v')) {
      cout(`${CEPH_VERSION}\n`);
      return 0;
    } else if ((v = c.withArg('--conf', '-c')) !== null) {
      // a configuration file list: crushtool reads none (CINIT_FLAG_NO_DEFAULT_CONFIG_FILE)
    } else if ((v = c.withArg('--cluster')) !== null) {
      // the cluster name
    } else if ((v = c.withArg('--id', '--user')) !== null) {
      // the entity id
    } else if ((v = c.withArg('--name', '-n')) !== null) {
      const dot = v.indexOf('.');
      if (dot < 0 || !ENTITY_TYPES.includes(v.slice(0, dot))) {
        cerr(
          `error parsing '${v}': expected string of the form TYPE.ID, valid types are: ` +
            `${ENTITY_TYPES.join(', ')}\n`,
        );
        return 1;
      }
    } else if (c.flag('--show_args')) {
      cout(`args: ${orig.join(' ')}\n`);
    } else {
      c.skip();
    }
  }
  return null;
}

/** crushtool's do_add_bucket. */
function doAddBucket(
  me: string,
  cw: CrushWrapper,
  name: string,
  typeName: string,
  loc: Map<string, string>,
  cerr: (s: string) => void,
): number {
  if (cw.nameExists(name)) {
    cerr(`${me} bucket '${name}' already exists\n`);
    return -Errno.EEXIST;
  }
  const type = cw.getTypeId(typeName);
  if (type <= 0) {
    cerr(`${me} bad bucket type: ${typeName}\n`);
    return -Errno.EINVAL;
  }
  const { ret: r, id } = cw.addBucket(0, 0, 0, type, [], []);
  if (r < 0) {
    cerr(`${me} unable to add bucket: ${cppStrerror(r)}\n`);
    return r;
  }
  const rn = callErrno(() => cw.setItemName(id, name));
  if (rn < 0) {
    cerr(`${me} bad bucket name: ${name}\n`);
    return rn;
  }
  if (loc.size > 0 && !cw.checkItemLoc(id, loc).found) {
    const rm = callErrno(() => cw.moveBucket(id, loc));
    if (rm < 0) {
      cerr(`${me} error moving bucket '${name}' to ${formatLoc(loc)}\n`);
      return rm;
    }
  }
  return 0;
}

/** crushtool's do_move_item: 0 changed, 1 nothing to do, negative on error. */
function doMoveItem(
  me: string,
  cw: CrushWrapper,
  name: string,
  loc: Map<string, string>,
  cerr: (s: string) => void,
): number {
  if (!cw.nameExists(name)) {
    cerr(`${me} item '${name}' does not exist\n`);
    return -Errno.ENOENT;
  }
  const id = cw.getItemId(name);
  if (loc.size === 0) {
    cerr(`${me} expecting additional --loc argument to --move\n`);
    return -Errno.EINVAL;
  }
  if (cw.checkItemLoc(id, loc).found) {
    cerr(`${me} item '${name}' already at ${formatLoc(loc)}\n`);
    return 1;
  }
  if (id >= 0) {
    const r = callErrno(() => cw.createOrMoveItem(id, 0, name, loc));
    if (r === 0) return 1;
    if (r === 1) return 0;
    return r;
  }
  return callErrno(() => cw.moveBucket(id, loc));
}

/** CrushTester::check_name_maps: null when every item and type has a name, else the complaint. */
function checkNameMaps(cw: CrushWrapper, maxId: number): string | null {
  const map = cw.crush;
  const names = cw.names;
  const seen = new Set<number>();
  const visit = (id: number): string | null => {
    if (seen.has(id)) return null;
    seen.add(id);
    let type: number;
    if (id < 0) {
      if (!names.nameMap.has(id)) return `unknown item name: item#${id}\n`;
      const b = map.buckets[-1 - id];
      type = b ? b.type : -2;
    } else {
      if (maxId > 0 && id >= maxId) return `item id too large: item#${id}\n`;
      type = 0;
    }
    if (!names.typeMap.has(type)) return `unknown type name: item#${id}\n`;
    if (id < 0) {
      const b = map.buckets[-1 - id];
      if (b) {
        for (let i = 0; i < b.size; i++) {
          const r = visit(b.items[i]!);
          if (r) return r;
        }
      }
    }
    return null;
  };
  // Roots first, in id order, then their subtrees depth first, as CrushTreeDumper walks.
  for (const root of findRoots(cw)) {
    const r = visit(root);
    if (r) return r;
  }
  if (maxId > 0 && 0 >= maxId) return `item id too large: item#0\n`;
  if (!names.typeMap.has(0)) return `unknown type name: item#0\n`;
  return null;
}

function findRoots(cw: CrushWrapper): number[] {
  const map = cw.crush;
  const child = new Set<number>();
  for (const b of map.buckets) if (b) for (let i = 0; i < b.size; i++) child.add(b.items[i]!);
  const roots: number[] = [];
  for (let i = 0; i < map.buckets.length; i++) {
    const b = map.buckets[i];
    const id = -1 - i;
    if (b && !child.has(id) && !(cw.names.nameMap.get(id) ?? '').includes('~')) roots.push(id);
  }
  return roots.sort((a, b) => a - b);
}

function wrapperFromDecoded(d: { crush: CrushWrapper['crush']; names: CrushWrapper['names'] }): CrushWrapper {
  return CrushWrapper.from(d);
}

/** CrushWrapper::get_leaves by name: the devices under a bucket (or the device itself), sorted. */
function leavesOf(cw: CrushWrapper, name: string): number[] {
  if (!cw.nameExists(name)) return [];
  const id = cw.getItemId(name);
  const leaves = new Set<number>();
  const walk = (item: number, depth: number): void => {
    if (item >= 0) {
      leaves.add(item);
      return;
    }
    const b = cw.getBucket(item);
    if (!b || depth > 64) return;
    for (let i = 0; i < b.size; i++) walk(b.items[i]!, depth + 1);
  };
  walk(id, 0);
  return [...leaves].sort((a, b) => a - b);
}


const isMain = isMainModule(import.meta.url);

if (isMain) {
  // A reader that goes away (`crushtool ... | head`) ends us as SIGPIPE ends Ceph's crushtool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(128 + 13);
      throw e;
    });
  }
  main(process.argv.slice(2).map((a) => byteString(a)!)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`crushtool: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
