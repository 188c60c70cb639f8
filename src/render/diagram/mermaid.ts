/**
 * A diagram as a Mermaid flowchart, for Markdown (GitHub renders ```mermaid blocks): each
 * namespace a subgraph nested in its parent's, each process a node that says its name, its PID
 * at every level and its state. Big trees are cut down to what Mermaid draws well: past
 * MAX_NODES processes a namespace shows one node that counts its processes.
 */
import { shellWords, truncate } from '../words.js';
import { boxSummary, membersOf, nameOf, pidWords, stateText, toneOf, type Tone } from './layout.js';
import { diagramProcesses, type Diagram, type DiagramNamespace, type DiagramProcess } from './model.js';

/** Above this many processes, namespaces are summarised (Mermaid's layout and size limits). */
export const MAX_NODES = 150;

const TONE_STYLES: Record<Tone, string> = {
  planned: 'fill:#ddf4ff,stroke:#0550ae,color:#0a3069',
  running: 'fill:#dafbe1,stroke:#1a7f37,color:#0f3d1f',
  stopped: 'fill:#fbefff,stroke:#8250df,color:#3e1f79',
  zombie: 'fill:#fff1e5,stroke:#bc4c00,color:#762c00',
  ok: 'fill:#f6f8fa,stroke:#8c959f,color:#424a53',
  failed: 'fill:#ffebe9,stroke:#cf222e,color:#82071e',
  gone: 'fill:#f6f8fa,stroke:#d0d7de,color:#6e7781',
};

/** Text inside a quoted Mermaid label: its own entity codes for what would end or break it. */
export function mermaidText(text: string): string {
  return text.replace(/["<>#&`*_~\\[\]{}|]/g, (c) => `#${c.charCodeAt(0)};`);
}

export function renderMermaid(diagram: Diagram): string {
  const big = diagramProcesses(diagram).length > MAX_NODES;
  const lines: string[] = ['flowchart TB'];
  const used = new Set<Tone>();
  const ids = new Map<string, string>();
  let next = 0;
  const id = (key: string): string => {
    let v = ids.get(key);
    if (v === undefined) {
      v = `n${next++}`;
      ids.set(key, v);
    }
    return v;
  };
  const label = (p: DiagramProcess): string => {
    const name = nameOf(p);
    const state = stateText(p);
    const cmd = p.command.length > 0 ? truncate(shellWords(p.command), 40) : '';
    return [
      `<b>${mermaidText(name)}</b>`,
      mermaidText(pidWords(p)),
      [state, p.note ?? '']
        .filter((s) => s !== '')
        .map(mermaidText)
        .join(' · '),
      cmd === '' ? '' : `<i>${mermaidText(cmd)}</i>`,
    ]
      .filter((s) => s !== '')
      .join('<br/>');
  };
  const visit = (ns: DiagramNamespace, indent: string): void => {
    // What the SVG's box says on its top border.
    const counts = boxSummary(ns);
    const title = counts === '' ? ns.path : `${ns.path} · ${counts}`;
    lines.push(`${indent}subgraph ${id(`ns:${ns.path}`)}["${mermaidText(title)}"]`);
    lines.push(`${indent}  direction TB`);
    const members = membersOf(ns);
    const shown = big ? members.slice(0, 1) : members;
    const chain: string[] = [];
    for (const p of shown) {
      const tone = toneOf(p);
      used.add(tone);
      lines.push(`${indent}  ${id(p.key)}["${label(p)}"]:::${tone}`);
      chain.push(id(p.key));
    }
    if (big && members.length > 1) {
      const rest = members.length - 1;
      const running = members.slice(1).filter((p) => p.state === 'running').length;
      lines.push(`${indent}  ${id(`more:${ns.path}`)}["${rest} more processes, ${running} running"]`);
      chain.push(id(`more:${ns.path}`));
    }
    // Invisible links stack a namespace's processes instead of lining them up side by side.
    if (chain.length > 1) lines.push(`${indent}  ${chain.join(' ~~~ ')}`);
    for (const child of ns.children) visit(child, `${indent}  `);
    lines.push(`${indent}end`);
  };
  visit(diagram.root, '  ');
  for (const tone of used) lines.push(`  classDef ${tone} ${TONE_STYLES[tone]}`);
  return `${lines.join('\n')}\n`;
}
