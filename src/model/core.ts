/**
 * The WebAssembly model (crates/wasm) behind validate, plan and simulate: the same code on
 * every OS and in browsers. This module only talks to an instantiated module; loading it is
 * the job of node-loader.ts (Node, from the package) or browser.ts (fetch). It uses nothing of
 * Node, so a bundler can take it into a web page.
 */
import { PidnsTreeError, type SpecIssue } from '../errors.js';
import type { Plan, PlanNode, TreeSpec } from '../spec-types.js';
import type { PlannedTree, Simulation, Steps, Step } from './types.js';

/** What crates/wasm exports (see its lib.rs for the ABI). */
export interface ModelExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  input(length: number): number;
  run(op: number, hostLevels: number, split: number): number;
  output(): number;
}

const OP = { check: 1, plan: 2, simulate: 3, expectations: 4 } as const;

/** The parts of the WebAssembly API used here (typed locally: Node's types do not declare it). */
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  instantiate(bytes: ArrayBuffer | Uint8Array, imports: object): Promise<{ instance: { readonly exports: unknown } }>;
  instantiateStreaming?(
    response: Response | PromiseLike<Response>,
    imports: object,
  ): Promise<{ instance: { readonly exports: unknown } }>;
}

export function wasmApi(): WasmApi {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new PidnsTreeError('NATIVE_MISSING', 'this JavaScript engine has no WebAssembly');
  return api;
}

/** The exports of an instance, checked to be this module's. */
export function modelExports(exports: unknown): ModelExports {
  const e = exports as Partial<ModelExports>;
  if (typeof e.input !== 'function' || typeof e.run !== 'function' || typeof e.output !== 'function') {
    throw new PidnsTreeError('NATIVE_MISSING', "this WebAssembly module is not pidns-tree's model");
  }
  return e as ModelExports;
}

interface Valid {
  valid: true;
  plan: { nodes: PlanNode[]; reproduciblePids: boolean };
  hostLevels: number;
  maxDepth: number;
}

interface Invalid {
  valid: false;
  code: 'INVALID_SPEC' | 'INVALID_STEPS' | 'BAD_INPUT';
  issues: SpecIssue[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A spec as text (errors then carry line and column) or as an object. */
function specText(spec: TreeSpec | string): string {
  return typeof spec === 'string' ? spec : JSON.stringify(spec);
}

/** Steps as the JSON text the model reads (a steps document, a list, or text). */
function stepsText(steps: Steps | readonly Step[] | string | undefined): string {
  return steps === undefined ? '' : typeof steps === 'string' ? steps : JSON.stringify(steps);
}

function problems(n: number): string {
  return `${n} ${n === 1 ? 'problem' : 'problems'}`;
}

/** An instantiated model. Every method is synchronous. */
export class Model {
  readonly #exports: ModelExports;

  constructor(exports: ModelExports) {
    this.#exports = exports;
  }

  /** The module's JSON output as text. */
  #text(op: number, hostLevels: number, first: string, second = ''): string {
    const a = encoder.encode(first);
    const b = encoder.encode(second);
    const e = this.#exports;
    const at = e.input(a.length + b.length);
    // Views are made after each call: the module's memory may have grown (and moved).
    const into = new Uint8Array(e.memory.buffer, at, a.length + b.length);
    into.set(a);
    into.set(b, a.length);
    const length = e.run(op, hostLevels, a.length);
    return decoder.decode(new Uint8Array(e.memory.buffer, e.output(), length));
  }

  #call(op: number, hostLevels: number, first: string, second = ''): unknown {
    return JSON.parse(this.#text(op, hostLevels, first, second)) as unknown;
  }

  /** Throws the problems of an invalid spec (or steps) as a PidnsTreeError. */
  #valid<T extends { valid: true }>(result: T | Invalid, source: string, steps?: string): T {
    if (result.valid) return result;
    const count = result.issues.length;
    if (result.code === 'INVALID_STEPS') {
      throw new PidnsTreeError(
        'INVALID_STEPS',
        `${steps ?? 'the steps'} is not a valid list of steps (${problems(count)})`,
        result.issues,
      );
    }
    // Too deep and nothing else: the kernel's limit, not a mistake in the file.
    const depth = count === 1 && result.issues[0]?.kind === 'depth';
    throw new PidnsTreeError(
      depth ? 'DEPTH_LIMIT' : 'INVALID_SPEC',
      `${source} is not a valid tree (${problems(count)})`,
      result.issues,
    );
  }

  /**
   * Checks a spec (tree.json text, or an object): its plan, or PidnsTreeError INVALID_SPEC /
   * DEPTH_LIMIT with every issue. `hostLevels`: PID-namespace levels the host already uses.
   */
  check(spec: TreeSpec | string, source = 'the spec', hostLevels = 0): Plan {
    const text = this.#text(OP.check, hostLevels, specText(spec));
    const r = this.#valid(JSON.parse(text) as Valid | Invalid, source);
    return {
      nodes: r.plan.nodes,
      reproduciblePids: r.plan.reproduciblePids,
      // The plan is the output's last member: its text as the model wrote it.
      json: text.slice(text.indexOf(',"plan":') + ',"plan":'.length, -1),
      maxDepth: r.maxDepth,
      hostLevels: r.hostLevels,
    };
  }

  /**
   * The expectations (`expect`) of a spec, each with its JSON path and position, as JSON: for
   * `pidns-tree test` (src/check), which reads them.
   */
  expectationsJson(spec: string, source = 'the spec', hostLevels = 0): string {
    const text = this.#text(OP.expectations, hostLevels, spec);
    this.#valid(JSON.parse(text) as { valid: true } | Invalid, source);
    return text.slice(text.indexOf(',"expectations":') + ',"expectations":'.length, -1);
  }

  /** The plan with the PIDs every init and process will get. */
  plan(spec: TreeSpec | string, source = 'the spec', hostLevels = 0): PlannedTree {
    const r = this.#valid(
      this.#call(OP.plan, hostLevels, specText(spec)) as (Valid & Omit<PlannedTree, keyof Plan>) | Invalid,
      source,
    );
    const { plan, valid: _valid, ...rest } = r;
    return { ...rest, nodes: plan.nodes, reproduciblePids: plan.reproduciblePids, json: JSON.stringify(plan) };
  }

  /** Starts the tree in the model and plays the steps (none: the tree just started). */
  simulate(
    spec: TreeSpec | string,
    steps?: Steps | readonly Step[] | string,
    source = 'the spec',
    stepsSource = 'the steps',
    hostLevels = 0,
  ): Simulation {
    const r = this.#valid(
      this.#call(OP.simulate, hostLevels, specText(spec), stepsText(steps)) as (Simulation & { valid: true }) | Invalid,
      source,
      stepsSource,
    );
    const { valid: _valid, ...simulation } = r;
    return simulation;
  }
}
