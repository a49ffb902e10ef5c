/**
 * The shipped templates in JupyterLab: a "bizml" launcher section with one tile per
 * template, File > New and the command palette. A tile opens a form with the
 * template's parameters and their defaults (read from its `parameters` cell by
 * `GET /bizml/templates`); `POST /bizml/new` then writes the notebook into the file
 * browser's folder, as `bizml new` does, and JupyterLab opens it.
 */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { ITemplate, ITemplateParameter, newNotebook } from './api';
import { el } from './dom';
import { templateLabel } from './format';

/** A parameter's default as the form shows it: Python's spelling of the value. */
export function defaultText(parameter: ITemplateParameter): string {
  const value = parameter.default;
  if (value === null || value === undefined) {
    return 'None';
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  return String(value);
}

/** What the form gives: the notebook's name and the changed parameters. */
interface IFormValue {
  name: string;
  parameters: Record<string, unknown>;
}

/** The form of one template: the notebook's name, then one field per parameter. */
class TemplateForm extends Widget {
  constructor(
    readonly template: ITemplate,
    previous: IFormValue | null = null
  ) {
    super();
    this.addClass('bizml-template-form');
    this.node.dataset.template = template.name;
    this._name = el('input', {
      className: 'jp-mod-styled',
      attrs: { name: 'bizml-name' }
    });
    this._name.value = previous?.name ?? template.name.replace(/_/g, '-');
    const rows: HTMLElement[] = [
      el('label', { className: 'bizml-field' }, [
        el('span', { className: 'bizml-field-name', text: 'notebook name' }),
        this._name
      ])
    ];
    for (const parameter of template.parameters) {
      let input: HTMLInputElement;
      if (parameter.kinds.length === 1 && parameter.kinds[0] === 'bool') {
        input = el('input', {
          attrs: { type: 'checkbox', name: parameter.name }
        });
        const given = previous?.parameters[parameter.name];
        input.checked =
          typeof given === 'boolean' ? given : parameter.default === true;
      } else {
        input = el('input', {
          className: 'jp-mod-styled',
          attrs: { name: parameter.name }
        });
        const given = previous?.parameters[parameter.name];
        input.value =
          typeof given === 'string' ? given : defaultText(parameter);
      }
      this._inputs.set(parameter, input);
      rows.push(
        el(
          'label',
          { className: 'bizml-field', title: parameter.comment ?? '' },
          [
            el('span', { className: 'bizml-field-name', text: parameter.name }),
            input,
            el('span', {
              className: 'bizml-field-help',
              text: `${parameter.type}${parameter.comment ? ': ' + parameter.comment : ''}`
            })
          ]
        )
      );
    }
    this.node.append(
      el('p', { className: 'bizml-template-title', text: template.title }),
      ...rows
    );
  }

  /** The notebook's name and the parameters the user changed from their defaults. */
  getValue(): IFormValue {
    const parameters: Record<string, unknown> = {};
    for (const [parameter, input] of this._inputs) {
      if (input.type === 'checkbox') {
        if (input.checked !== (parameter.default === true)) {
          parameters[parameter.name] = input.checked;
        }
      } else if (input.value !== defaultText(parameter)) {
        parameters[parameter.name] = input.value; // the server converts and checks it
      }
    }
    return { name: this._name.value.trim(), parameters };
  }

  private readonly _name: HTMLInputElement;
  private readonly _inputs = new Map<ITemplateParameter, HTMLInputElement>();
}

/**
 * Ask for the template's parameters and write the notebook into `folder`; the new
 * notebook's path, or null when the user cancelled. A refusal of the server (a value
 * of the wrong type, an existing notebook) is shown and the form opens again with
 * what the user typed.
 */
export async function createFromTemplate(
  template: ITemplate,
  folder: string
): Promise<string | null> {
  let previous: IFormValue | null = null;
  for (;;) {
    // a dialog disposes its body when it closes: a new form, holding what was typed
    const form: TemplateForm = new TemplateForm(template, previous);
    const result: Dialog.IResult<IFormValue> = await showDialog({
      title: `New notebook: ${templateLabel(template)}`,
      body: form,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Create' })],
      hasClose: true
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    previous = result.value;
    const { name, parameters } = result.value;
    try {
      const made = await newNotebook({
        template: template.name,
        folder,
        name,
        parameters
      });
      return made.path;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await showErrorMessage('bizml: the notebook was not created', message);
    }
  }
}
