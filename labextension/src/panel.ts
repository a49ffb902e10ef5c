/**
 * The KPI side panel (`#bizml-kpi-panel`): the project of the current notebook, each
 * KPI with its baseline, target, owner and value per unit, the leaderboard of its runs
 * by yearly value with their verdicts, the metric tree and filters by tag. It reads
 * `GET /bizml/project` (no kernel needed) and polls the cheap `GET /bizml/version`
 * while it is visible, asking for the project again only when the token changes.
 */
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import {
  BizmlError,
  fetchProject,
  fetchVersion,
  IKpi,
  IProject,
  IRunRow
} from './api';
import { el } from './dom';
import { kpiValue, money, moneyRange, verdictKey } from './format';
import { RenameWatch } from './paths';
import {
  button,
  renderRunDetail,
  renderTree,
  tagChips,
  verdictSpan
} from './views';

/** How many runs of each KPI the panel shows until "show all" is clicked. */
export const LEADERBOARD_LIMIT = 50;
/** Rows of a leaderboard drawn at once; more as it is scrolled. */
export const ROW_BATCH = 500;
/** How often a visible panel asks whether the project changed. */
export const POLL_MS = 3000;

export class KpiPanel extends Widget {
  constructor(icon: LabIcon) {
    super();
    this.id = 'bizml-kpi-panel';
    this.addClass('bizml-panel');
    this.title.icon = icon;
    this.title.caption = 'bizml: KPIs and leaderboards';
    this.node.tabIndex = 0;
    this._body = el('div', { className: 'bizml-panel-body' });
    this.node.appendChild(this._body);
    this._renderMessage('Open a notebook of a bizml project to see its KPIs.');
    this._timer = window.setInterval(() => void this._poll(), POLL_MS);
  }

  dispose(): void {
    window.clearInterval(this._timer);
    this._forgetRows();
    super.dispose();
  }

  /** The notebook or folder (relative to the server's root) whose project is shown. */
  get path(): string | null {
    return this._path;
  }

  /**
   * Show the project holding `path`, if it is not the one shown. Another notebook
   * starts from the best 50 with no tag and no run selected; the shown notebook
   * renamed or moved (`renamed`) keeps the tags chosen, "show all" and the selected
   * run, unless it moved into another project.
   */
  setPath(path: string, options: { renamed?: boolean } = {}): Promise<void> {
    if (path === this._path) {
      return this._loading ?? Promise.resolve();
    }
    this._path = path;
    const shown = options.renamed ? this._project?.project.registry : null;
    this._renames.expect(shown ?? null);
    if (!shown) {
      this._resetView();
    }
    return this.refresh();
  }

  /** Something was renamed or moved from `from` to `to` (a notebook, a folder). */
  noteRename(from: string, to: string): void {
    this._renames.noted(from, to);
  }

  /** The best 50 of each KPI, no tag, no run selected. */
  private _resetView(): void {
    this._tags.clear();
    this._limit = LEADERBOARD_LIMIT;
    this._selected = null;
  }

  /** Ask the server for the project again and render it (once the panel is shown). */
  refresh(): Promise<void> {
    const path = this._path;
    if (path === null) {
      return Promise.resolve();
    }
    if (!this.isVisible) {
      this._stale = true; // read when the panel is shown: a closed panel costs nothing
      return Promise.resolve();
    }
    this._stale = false;
    const started = performance.now();
    // only the last request asked is shown: an earlier answer arriving later (another
    // notebook, the tags before the last click) would not match what is selected
    const request = ++this._requests;
    this._pending++;
    const loading = (async () => {
      try {
        const project = await fetchProject(path, {
          tags: [...this._tags],
          limit: this._limit ?? undefined
        });
        if (request !== this._requests || path !== this._path) {
          return;
        }
        if (this._renames.movedAway(project.project.registry)) {
          // its runs, tags and ranks are other ones
          const filtered = this._tags.size > 0 || this._limit === null;
          this._resetView();
          if (filtered) {
            this._project = null;
            this._renderMessage(`Reading ${project.project.name}…`);
            await this.refresh();
            return;
          }
        }
        this._project = project;
        this._complete = this._limit === null && this._tags.size === 0;
        this._version = project.version;
        this._render(project);
        this.node.dataset.renderMs = (performance.now() - started).toFixed(1);
      } catch (error) {
        if (request === this._requests && path === this._path) {
          this._project = null;
          this._version = null;
          this._renderMessage(messageOf(error));
        }
      } finally {
        this._pending--;
      }
    })();
    this._loading = loading;
    return loading;
  }

  /**
   * Open one run: make sure its row is shown, select it and show its details; say so
   * when the project's ledger does not hold it (a notebook from another project or
   * machine, a ledger rebuilt since).
   */
  async showRun(runId: string, path: string): Promise<void> {
    this._selected = runId;
    this._renames.expect(null); // the run asked for decides the filters from here
    const current = (): boolean =>
      this._path === path && this._selected === runId;
    if (path !== this._path) {
      this._path = path;
      this._resetView();
      this._selected = runId;
      this._project = null;
      await this.refresh();
    }
    await this._settled(); // the answer on its way may hold the run
    if (!current()) {
      return; // another run or notebook was asked for meanwhile
    }
    if (!this._findRun(runId) && !this._complete) {
      this._tags.clear();
      this._limit = null;
      await this.refresh();
      await this._settled();
      if (!current()) {
        return;
      }
    } else if (this._project) {
      this._render(this._project);
    }
    if (this._project && this._complete && !this._findRun(runId)) {
      const notice = el('p', {
        className: 'bizml-panel-notice',
        text:
          `Run ${runId} is not in ${this._project.project.registry}'s ledger: its ` +
          'notebook may come from another project or machine. `bizml ledger import` ' +
          'reads runs back from executed notebooks.'
      });
      this._showAside(notice);
      return;
    }
    const row = this.node.querySelector<HTMLElement>(
      `.bizml-run[data-run-id="${CSS.escape(runId)}"]`
    );
    row?.scrollIntoView({ block: 'center' });
  }

  /** Until the last request asked has been answered (later ones included). */
  private async _settled(): Promise<void> {
    let loading: Promise<void> | null = null;
    while (this._loading && this._loading !== loading) {
      loading = this._loading;
      await loading;
    }
  }

  protected onAfterShow(): void {
    if (this._stale) {
      void this.refresh();
    }
  }

  private async _poll(): Promise<void> {
    if (
      !this.isVisible ||
      document.hidden ||
      this._path === null ||
      this._polling ||
      this._pending > 0 // the answer on its way carries the version
    ) {
      return;
    }
    this._polling = true;
    try {
      const { version } = await fetchVersion(this._path);
      if (version !== this._version) {
        await this.refresh();
      }
    } catch {
      if (this._version !== null) {
        await this.refresh(); // the project went away or became unreadable: say so
      }
    } finally {
      this._polling = false;
    }
  }

  private _findRun(runId: string): { kpi: IKpi; row: IRunRow } | null {
    for (const kpi of this._project?.kpis ?? []) {
      const row = kpi.leaderboard.find(r => r.id === runId);
      if (row) {
        return { kpi, row };
      }
    }
    return null;
  }

  /** Stop drawing rows of a leaderboard that is about to be replaced. */
  private _forgetRows(): void {
    for (const observer of this._observers) {
      observer.disconnect();
    }
    this._observers.clear();
  }

  private _renderMessage(message: string): void {
    this._forgetRows();
    this._body.replaceChildren(
      el('p', { className: 'bizml-panel-message', text: message })
    );
  }

  private _render(project: IProject): void {
    this._forgetRows();
    const currency = project.project.currency;
    const head = el('header', { className: 'bizml-panel-head' }, [
      el('h2', { className: 'bizml-project-name', text: project.project.name }),
      el('div', {
        className: 'bizml-project-about',
        text: `${project.project.registry} · ${currency} · material from ${money(project.project.min_annual_value, currency)}/yr`
      }),
      button('Refresh', 'bizml-refresh', () => void this.refresh())
    ]);
    const parts: HTMLElement[] = [head];
    const tags = tagChips(project.tags, this._tags);
    if (tags.length) {
      parts.push(this._renderTags(tags));
    }
    const found = this._selected ? this._findRun(this._selected) : null;
    if (found) {
      parts.push(renderRunDetail(found.kpi, found.row, currency));
    }
    for (const kpi of project.kpis) {
      parts.push(this._renderKpi(kpi, currency));
    }
    if (project.tree.length) {
      parts.push(renderTree(project));
    }
    this._body.replaceChildren(...parts);
  }

  private _renderTags(tags: string[]): HTMLElement {
    const chips = tags.map(tag => {
      const on = this._tags.has(tag);
      const chip = button(tag, 'bizml-tag', () => {
        if (this._tags.has(tag)) {
          this._tags.delete(tag);
        } else {
          this._tags.add(tag);
        }
        void this.refresh();
      });
      chip.dataset.tag = tag;
      chip.setAttribute('aria-pressed', String(on));
      return chip;
    });
    return el('div', { className: 'bizml-tags' }, [
      el('span', { className: 'bizml-tags-label', text: 'Runs tagged:' }),
      ...chips
    ]);
  }

  private _renderKpi(kpi: IKpi, currency: string): HTMLElement {
    const facts = [
      `baseline ${kpiValue(kpi.baseline, kpi.unit)}`,
      `target ${kpiValue(kpi.target, kpi.unit)}`,
      `${kpi.direction} is better`,
      `owner ${kpi.owner ?? '—'}`,
      kpi.value_per_unit === null
        ? 'not priced'
        : `${money(kpi.value_per_unit, currency)}/yr per unit`
    ];
    // a long leaderboard is drawn in batches as it is scrolled: 10,000 rows at once
    // take the browser a second or two to lay out
    // the selected run's row is drawn, whatever its rank
    const selected = kpi.leaderboard.findIndex(
      row => row.id === this._selected
    );
    const first = Math.max(
      ROW_BATCH,
      Math.ceil((selected + 1) / ROW_BATCH) * ROW_BATCH
    );
    const rows = kpi.leaderboard
      .slice(0, first)
      .map(row => this._renderRow(row, kpi, currency));
    const table = el('table', { className: 'bizml-leaderboard' }, [
      el('thead', {}, [
        el('tr', {}, [
          el('th', { text: '#' }),
          el('th', { text: 'run' }),
          el('th', { text: 'verdict' }),
          el('th', { text: 'value/yr' })
        ])
      ]),
      el('tbody', {}, rows)
    ]);
    if (kpi.leaderboard.length > first) {
      this._drawOnScroll(table.tBodies[0], kpi, currency, first);
    }
    const shown = kpi.leaderboard.length;
    const count = `${kpi.runs} run${kpi.runs === 1 ? '' : 's'}${kpi.failed_runs ? `, ${kpi.failed_runs} failed` : ''}`;
    const footer = el('div', { className: 'bizml-kpi-count', text: count }, [
      shown < kpi.runs
        ? button(`show all ${kpi.runs}`, 'bizml-show-all', () => {
            this._limit = null;
            void this.refresh();
          })
        : null
    ]);
    return el('section', { className: 'bizml-kpi', data: { kpi: kpi.name } }, [
      el('h3', {
        className: 'bizml-kpi-name',
        text: kpi.name,
        title: kpi.description ?? ''
      }),
      el('div', { className: 'bizml-kpi-facts', text: facts.join(' · ') }),
      shown
        ? table
        : el('p', { className: 'bizml-empty', text: 'no successful runs yet' }),
      footer
    ]);
  }

  /** Append the next batch of rows when the last one drawn scrolls into view. */
  private _drawOnScroll(
    body: HTMLTableSectionElement,
    kpi: IKpi,
    currency: string,
    drawn: number
  ): void {
    const last = body.lastElementChild;
    if (!last) {
      return;
    }
    if (typeof IntersectionObserver === 'undefined') {
      const rest = kpi.leaderboard.slice(drawn);
      body.append(...rest.map(row => this._renderRow(row, kpi, currency)));
      return;
    }
    const observer = new IntersectionObserver(
      entries => {
        if (!entries.some(entry => entry.isIntersecting)) {
          return;
        }
        observer.disconnect();
        this._observers.delete(observer);
        const next = kpi.leaderboard.slice(drawn, drawn + ROW_BATCH);
        body.append(...next.map(row => this._renderRow(row, kpi, currency)));
        if (drawn + ROW_BATCH < kpi.leaderboard.length) {
          this._drawOnScroll(body, kpi, currency, drawn + ROW_BATCH);
        }
      },
      // the next rows are drawn a little before the last one scrolls into view
      { root: this.node, rootMargin: '400px' }
    );
    this._observers.add(observer);
    observer.observe(last);
  }

  private _renderRow(row: IRunRow, kpi: IKpi, currency: string): HTMLElement {
    const verdict = verdictKey(row.verdict, { isBaseline: row.is_baseline });
    const value = row.value_per_year
      ? money(row.value_per_year[1], currency, true)
      : '—';
    const tr = el('tr', { className: 'bizml-run', data: { runId: row.id } }, [
      el('td', { text: row.rank === null ? '' : String(row.rank) }),
      el('td', {
        className: 'bizml-run-name',
        text: row.name,
        title: row.hypothesis ?? ''
      }),
      el('td', {}, [verdictSpan(verdict)]),
      el('td', {
        className: 'bizml-run-value',
        text: value,
        title: moneyRange(row.value_per_year, currency)
      })
    ]);
    if (row.id === this._selected) {
      tr.classList.add('bizml-run-selected');
    }
    tr.addEventListener('click', () => this._select(tr, kpi, row, currency));
    return tr;
  }

  /** Select a row in place: its class and the details section, nothing redrawn. */
  private _select(
    tr: HTMLElement,
    kpi: IKpi,
    row: IRunRow,
    currency: string
  ): void {
    this._selected = row.id;
    for (const other of this._body.querySelectorAll('.bizml-run-selected')) {
      other.classList.remove('bizml-run-selected');
    }
    tr.classList.add('bizml-run-selected');
    this._showAside(renderRunDetail(kpi, row, currency));
  }

  /** Put a run's details or a notice above the KPIs, in place of the one shown. */
  private _showAside(aside: HTMLElement): void {
    const shown = this._body.querySelector(
      '.bizml-run-detail, .bizml-panel-notice'
    );
    if (shown) {
      shown.replaceWith(aside);
    } else {
      this._body.insertBefore(aside, this._body.querySelector('.bizml-kpi'));
    }
  }

  private readonly _body: HTMLElement;
  private readonly _timer: number;
  private readonly _tags = new Set<string>();
  private _limit: number | null = LEADERBOARD_LIMIT;
  private _path: string | null = null;
  private _project: IProject | null = null;
  /** Whether the shown project holds every run (asked with no limit and no tag). */
  private _complete = false;
  private readonly _observers = new Set<IntersectionObserver>();
  private _version: string | null = null;
  private _selected: string | null = null;
  private readonly _renames = new RenameWatch();
  private _loading: Promise<void> | null = null;
  private _polling = false;
  private _stale = false;
  private _requests = 0;
  private _pending = 0;
}

function messageOf(error: unknown): string {
  if (error instanceof BizmlError) {
    return error.message;
  }
  return `the bizml server extension did not answer: ${String(error)}`;
}
