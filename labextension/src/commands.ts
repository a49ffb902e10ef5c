/**
 * The palette's bizml commands that act on the current notebook: a new experiment cell
 * with a KPI picker, and the project's report opened in a JupyterLab tab.
 */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { buildReport, fetchProject } from './api';
import { el } from './dom';
import { experimentLine } from './format';

class ExperimentForm extends Widget {
  constructor(kpis: string[]) {
    super();
    this.addClass('bizml-experiment-form');
    this._kpi = el('select', {
      className: 'jp-mod-styled',
      attrs: { name: 'bizml-kpi' }
    });
    for (const kpi of kpis) {
      this._kpi.appendChild(el('option', { text: kpi, attrs: { value: kpi } }));
    }
    this._name = el('input', {
      className: 'jp-mod-styled',
      attrs: { name: 'bizml-name' }
    });
    this._hypothesis = el('input', {
      className: 'jp-mod-styled',
      attrs: { name: 'bizml-hypothesis' }
    });
    this._baseline = el('input', {
      attrs: { type: 'checkbox', name: 'bizml-baseline' }
    });
    const field = (label: string, input: HTMLElement): HTMLElement =>
      el('label', { className: 'bizml-field' }, [
        el('span', { className: 'bizml-field-name', text: label }),
        input
      ]);
    this.node.append(
      field('KPI', this._kpi),
      field('name', this._name),
      field('hypothesis', this._hypothesis),
      field('the baseline run of this KPI', this._baseline)
    );
  }

  getValue(): {
    name: string;
    kpi: string;
    hypothesis: string;
    baseline: boolean;
  } {
    return {
      name: this._name.value,
      kpi: this._kpi.value,
      hypothesis: this._hypothesis.value,
      baseline: this._baseline.checked
    };
  }

  private readonly _kpi: HTMLSelectElement;
  private readonly _name: HTMLInputElement;
  private readonly _hypothesis: HTMLInputElement;
  private readonly _baseline: HTMLInputElement;
}

/** Ask for a KPI and a name, then insert a `%%bizml experiment` cell below the active one. */
export async function newExperimentCell(panel: NotebookPanel): Promise<void> {
  let kpis: string[];
  try {
    const project = await fetchProject(panel.context.path, { limit: 1 });
    kpis = project.kpis.map(kpi => kpi.name);
  } catch (error) {
    await showErrorMessage('bizml: no KPIs to choose from', messageOf(error));
    return;
  }
  if (!kpis.length) {
    await showErrorMessage(
      'bizml: no KPIs to choose from',
      'bizml.toml declares no KPI: declare one with `%bizml metric NAME` in a notebook of the project'
    );
    return;
  }
  const result = await showDialog({
    title: 'New experiment cell',
    body: new ExperimentForm(kpis),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Insert' })]
  });
  if (!result.button.accept || result.value === null) {
    return;
  }
  const made = experimentLine(result.value);
  if ('error' in made) {
    await showErrorMessage('bizml: no cell inserted', made.error);
    return;
  }
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (cell) {
    if (cell.model.type !== 'code') {
      NotebookActions.changeCellType(notebook, 'code');
    }
    notebook.activeCell?.model.sharedModel.setSource(
      `${made.line}\n# train and evaluate, then log the ML metrics the KPI's links read:\n# bizml_nb.log({"auc": auc})\n`
    );
  }
}

/** Build the project's report (`bizml report`, replacing the last one); its path. */
export async function openReport(path: string): Promise<string | null> {
  try {
    const made = await buildReport(path, true);
    return made.path;
  } catch (error) {
    await showErrorMessage('bizml: no report', messageOf(error));
    return null;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
