/**
 * Verdict badges on experiment cells: every cell whose first line is
 * `%%bizml experiment` shows its run's verdict and yearly value, read from the cell's
 * own `application/vnd.bizml.run+json` output, so a saved notebook shows its badges
 * before any kernel starts. The badge is a Lumino widget in the cell's own layout, so
 * it stays with the cell when JupyterLab's windowed rendering detaches cells scrolled
 * out of view and attaches them again.
 */
import { Cell, ICodeCellModel } from '@jupyterlab/cells';
import {
  INotebookTracker,
  Notebook,
  NotebookPanel,
  NotebookWidgetFactory
} from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';
import { PanelLayout, Widget } from '@lumino/widgets';

import { paintVerdict } from './dom';
import {
  badgeFor,
  IBadge,
  isExperimentCell,
  lastRunRecord,
  VerdictKey
} from './format';

/** What a click on a badge does: open the run in the panel (of this notebook). */
export type OpenRun = (runId: string, notebookPath: string) => void;

/** The badge of one cell: `<button class="bizml-cell-badge" data-verdict data-run-id>`. */
export class BadgeWidget extends Widget {
  constructor(private readonly onClick: () => void) {
    super({ node: document.createElement('div') });
    this.addClass('bizml-cell-badge-row');
    this._button = document.createElement('button');
    this._button.type = 'button';
    this._button.className = 'bizml-cell-badge';
    this._button.addEventListener('click', event => {
      event.stopPropagation();
      if (this._button.dataset.runId) {
        this.onClick();
      }
    });
    this.node.appendChild(this._button);
    this.setBadge(null);
  }

  get runId(): string {
    return this._button.dataset.runId ?? '';
  }

  /** Show a badge; with no run record, `queued or running…` until it ran, else `not run`. */
  setBadge(badge: IBadge | null, running = false): void {
    const verdict: VerdictKey = badge?.verdict ?? 'none';
    const button = this._button;
    // textContent and title: user text (run names, hypotheses) is never parsed as HTML
    // JupyterLab marks a cell running from the moment it is queued (Run All)
    button.textContent = badge
      ? badge.text
      : running
        ? 'queued or running…'
        : 'not run';
    button.title = badge
      ? badge.tooltip
      : running
        ? 'The cell is queued or running: its verdict shows when it has run.'
        : 'An experiment cell: run it to see its verdict and yearly value.';
    paintVerdict(button, verdict);
    button.dataset.runId = badge?.runId ?? '';
    button.disabled = !badge;
  }

  private readonly _button: HTMLButtonElement;
}

/** Keeps one cell's badge in step with its source and outputs. */
class CellBadge {
  constructor(
    private readonly cell: Cell,
    private readonly open: (runId: string) => void
  ) {
    const model = cell.model;
    // a keystroke changes the source: only whether this is an experiment cell matters
    model.sharedModel.changed.connect(
      (_, change: { sourceChange?: unknown }) => {
        if (
          change.sourceChange &&
          this._experiment !== isExperimentCell(model.sharedModel.getSource())
        ) {
          this.update();
        }
      },
      this
    );
    if (model.type === 'code') {
      (model as ICodeCellModel).outputs.changed.connect(this.update, this);
      model.stateChanged.connect((_, change) => {
        if (change.name === 'executionState') {
          this.update();
        }
      }, this);
    }
    cell.disposed.connect(() => this.dispose());
    this.update();
  }

  dispose(): void {
    if (this.cell.isDisposed) {
      Signal.disconnectReceiver(this);
    }
    if (this._badge) {
      this._badge.dispose();
      this._badge = null;
    }
  }

  update(): void {
    const cell = this.cell;
    if (cell.isDisposed) {
      return;
    }
    const model = cell.model;
    this._experiment =
      model.type === 'code' && isExperimentCell(model.sharedModel.getSource());
    if (!this._experiment) {
      this.dispose();
      return;
    }
    const outputs = (model as ICodeCellModel).outputs;
    const records: { data: Record<string, unknown> }[] = [];
    for (let i = 0; i < outputs.length; i++) {
      records.push({ data: outputs.get(i).data as Record<string, unknown> });
    }
    const badge = badgeFor(lastRunRecord(records));
    if (!this._badge) {
      this._badge = new BadgeWidget(() => this.open(this._badge?.runId ?? ''));
      // just above the input: index 0 is the cell's header
      (cell.layout as PanelLayout).insertWidget(1, this._badge);
    }
    const running = (model as ICodeCellModel).executionState === 'running';
    this._badge.setBadge(badge, running);
  }

  private _badge: BadgeWidget | null = null;
  private _experiment = false;
}

/** The notebooks whose cells are watched already (a notebook may be announced twice). */
const watched = new WeakSet<NotebookPanel>();

/** Badges for every cell of one notebook, present and future. */
function watchNotebook(panel: NotebookPanel, open: OpenRun): void {
  if (watched.has(panel)) {
    return;
  }
  watched.add(panel);
  const notebook: Notebook = panel.content;
  const seen = new WeakSet<Cell>();
  const scan = (): void => {
    for (const cell of notebook.widgets) {
      if (seen.has(cell)) {
        continue;
      }
      seen.add(cell);
      const path = (): string => panel.context.path;
      // a windowed notebook builds a cell's content when it first comes into view
      void cell.ready.then(
        () => new CellBadge(cell, runId => open(runId, path()))
      );
    }
  };
  const onModel = (): void => {
    notebook.model?.cells.changed.connect(scan);
    scan();
  };
  notebook.modelChanged.connect(onModel);
  onModel();
}

/**
 * Put badges on the experiment cells of every notebook. The notebook factory announces
 * a notebook as it is made, before its cells are first drawn, so the badges are there
 * in the first frame; the tracker, which learns of it only after JupyterLab saved its
 * layout (about 0.1 s later), covers notebooks made by any other factory.
 */
export function activateBadges(
  tracker: INotebookTracker,
  factory: NotebookWidgetFactory.IFactory | null,
  open: OpenRun
): void {
  factory?.widgetCreated.connect((_, panel) => watchNotebook(panel, open));
  tracker.forEach(panel => watchNotebook(panel, open));
  tracker.widgetAdded.connect((_, panel) => watchNotebook(panel, open));
}
