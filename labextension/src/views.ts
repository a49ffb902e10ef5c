/**
 * The KPI panel's stateless parts: a run's details, the metric tree, a verdict as text,
 * a button, and which tag chips to draw. Each is built from the project's JSON as text nodes
 * (`el`), never as HTML.
 */
import { IKpi, IProject, IRunRow, ITreeNode } from './api';
import { el, paintVerdict } from './dom';
import { moneyRange, VerdictKey, verdictKey } from './format';

/**
 * The tag chips to draw: every tag of the project's runs, in the server's order, then
 * each tag chosen that no run carries any more (a renamed notebook, a ledger
 * rebuilt), so that a filter that is on can always be let go.
 */
export function tagChips(
  projectTags: readonly string[],
  chosen: ReadonlySet<string>
): string[] {
  const gone = [...chosen].filter(tag => !projectTags.includes(tag)).sort();
  return [...projectTags, ...gone];
}

/** A JupyterLab-styled button that runs `onClick`. */
export function button(
  text: string,
  className: string,
  onClick: () => void
): HTMLButtonElement {
  const node = el('button', { className: `jp-Button ${className}`, text });
  node.type = 'button';
  node.addEventListener('click', onClick);
  return node;
}

export function verdictSpan(verdict: VerdictKey): HTMLElement {
  const span = el('span', { className: 'bizml-verdict', text: verdict });
  paintVerdict(span, verdict);
  return span;
}

/** The details of the selected run (a badge click or a leaderboard row). */
export function renderRunDetail(
  kpi: IKpi,
  row: IRunRow,
  currency: string
): HTMLElement {
  const verdict = verdictKey(row.verdict, { isBaseline: row.is_baseline });
  const metrics = Object.entries(row.metrics)
    .map(([name, value]) => `${name} = ${value}`)
    .join(', ');
  const lines: [string, string][] = [
    ['KPI', kpi.name],
    ['verdict', row.verdict?.title ?? verdict],
    ['value', moneyRange(row.value_per_year, currency)],
    ['ML metrics', metrics || 'none logged'],
    ['tags', row.tags.join(', ') || '—'],
    ['hypothesis', row.hypothesis ?? '—'],
    ['notebook', row.notebook ?? '—'],
    ['started', row.started_at],
    ['id', row.id]
  ];
  return el(
    'section',
    { className: 'bizml-run-detail', data: { runId: row.id } },
    [
      el('h3', { text: row.name }, []),
      el(
        'dl',
        {},
        lines.flatMap(([term, text]) => [
          el('dt', { text: term }),
          el('dd', { text })
        ])
      )
    ]
  );
}

/** The metric tree: each top KPI, the ML links into it and the KPIs it feeds. */
export function renderTree(project: IProject): HTMLElement {
  const node = (tree: ITreeNode): HTMLElement => {
    const into = tree.links_in.map(i => project.links[i]?.from).filter(Boolean);
    const label = into.length ? `${tree.kpi} ← ${into.join(', ')}` : tree.kpi;
    return el('li', { data: { kpi: tree.kpi } }, [
      el('span', { text: label }),
      tree.feeds.length
        ? el(
            'ul',
            {},
            tree.feeds.map(feed => node(feed.node))
          )
        : null
    ]);
  };
  return el('section', { className: 'bizml-tree' }, [
    el('h3', { text: 'Metric tree' }),
    el('ul', {}, project.tree.map(node))
  ]);
}
