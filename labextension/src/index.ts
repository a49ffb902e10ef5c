/**
 * bizml_nb's JupyterLab front-end: verdict badges on experiment cells, the KPI side
 * panel, the templates in the launcher, File > New and the palette, and the commands
 * "show KPI panel", "new experiment cell" and "open report". Everything it shows comes
 * from the notebook itself (badges) or from the server extension's `/bizml/` routes.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import {
  INotebookTracker,
  INotebookWidgetFactory,
  NotebookPanel,
  NotebookWidgetFactory
} from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

// the badges, the panel and the template list are set up as the application starts
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { fetchTemplates, ITemplate } from './api';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { activateBadges } from './badges';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- a command's label is read synchronously
import { templateLabel } from './format';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { KpiPanel } from './panel';

/** The commands, by id (stable: users bind keys to them). */
export const CommandIDs = {
  showPanel: 'bizml:show-kpi-panel',
  showRun: 'bizml:show-run',
  newCell: 'bizml:new-experiment-cell',
  openReport: 'bizml:open-report',
  newFromTemplate: 'bizml:new-from-template'
} as const;

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">
<g class="jp-icon3" fill="#616161"><rect x="1" y="9" width="3" height="6" rx="0.5"/>
<rect x="6.5" y="5" width="3" height="10" rx="0.5"/><rect x="12" y="1" width="3" height="14" rx="0.5"/></g></svg>`;

export const bizmlIcon = new LabIcon({
  name: 'bizml-nb:icon',
  svgstr: ICON_SVG
});

/**
 * The picture of the template tiles: their icon element (`.bizml-template`, kept so
 * each tile is found by its template's class) draws `--bizml-template-icon` as its
 * background, the launcher sizes it (`jp-Icon-cover`).
 */
function setTemplateIcon(): void {
  document.documentElement.style.setProperty(
    '--bizml-template-icon',
    `url("data:image/svg+xml,${encodeURIComponent(ICON_SVG)}")`
  );
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'bizml-nb:plugin',
  description:
    'Verdict badges, the KPI side panel and the templates of bizml_nb.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [
    ILauncher,
    IMainMenu,
    ICommandPalette,
    IDefaultFileBrowser,
    ILayoutRestorer,
    INotebookWidgetFactory
  ],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    launcher: ILauncher | null,
    mainMenu: IMainMenu | null,
    palette: ICommandPalette | null,
    browser: IDefaultFileBrowser | null,
    restorer: ILayoutRestorer | null,
    notebookFactory: NotebookWidgetFactory.IFactory | null
  ) => {
    const { commands, shell } = app;
    setTemplateIcon();
    const panel = new KpiPanel(bizmlIcon);
    shell.add(panel, 'right', { rank: 600 });
    restorer?.add(panel, 'bizml-kpi-panel');

    /** Where the current work is: the current notebook, else the file browser's folder. */
    const currentPath = (): string => {
      const notebook = tracker.currentWidget;
      if (notebook && (shell.currentWidget === notebook || !browser)) {
        return notebook.context.path;
      }
      return browser?.model.path ?? notebook?.context.path ?? '';
    };
    const follow = (): void => {
      const notebook = tracker.currentWidget;
      if (notebook) {
        void notebook.context.ready.then(() => {
          // another notebook may have become current while this one loaded
          if (tracker.currentWidget === notebook) {
            void panel.setPath(notebook.context.path);
          }
        });
      } else if (panel.path === null) {
        void panel.setPath(browser?.model.path ?? '');
      }
    };
    tracker.currentChanged.connect(follow);
    // a renamed or moved notebook: its project is found from its new path, and the
    // tags chosen, "show all" and the selected run stay, unless it is another project
    const followRenames = (notebook: NotebookPanel): void => {
      let before = notebook.context.path;
      notebook.context.pathChanged.connect((_, path) => {
        const renamed = panel.path === before; // the panel showed this notebook
        before = path;
        if (tracker.currentWidget === notebook) {
          void panel.setPath(path, { renamed });
        }
      });
    };
    // which item moved: a folder renamed above the project's bizml.toml keeps the project
    app.serviceManager.contents.fileChanged.connect((_, change) => {
      const from = change.oldValue?.path;
      const to = change.newValue?.path;
      if (change.type === 'rename' && from && to) {
        panel.noteRename(from, to);
      }
    });
    tracker.forEach(followRenames);
    tracker.widgetAdded.connect((_, notebook) => followRenames(notebook));
    void app.restored.then(follow);

    activateBadges(tracker, notebookFactory, (runId, path) => {
      void commands.execute(CommandIDs.showRun, { runId, path });
    });

    commands.addCommand(CommandIDs.showPanel, {
      describedBy: { args: { type: 'object', properties: {} } },
      label: 'bizml: show KPI panel',
      caption:
        'The KPIs of this notebook’s project, their leaderboards and the metric tree',
      execute: async () => {
        shell.activateById(panel.id);
        await panel.setPath(currentPath());
      }
    });
    commands.addCommand(CommandIDs.showRun, {
      describedBy: {
        args: {
          type: 'object',
          properties: {
            runId: { type: 'string', description: 'the run id' },
            path: {
              type: 'string',
              description: 'the notebook the run belongs to'
            }
          },
          required: ['runId']
        }
      },
      label: 'bizml: show run in the KPI panel',
      execute: async args => {
        shell.activateById(panel.id);
        await panel.showRun(
          String(args.runId ?? ''),
          String(args.path ?? currentPath())
        );
      }
    });
    commands.addCommand(CommandIDs.newCell, {
      describedBy: { args: { type: 'object', properties: {} } },
      label: 'bizml: new experiment cell',
      caption:
        'Insert a %%bizml experiment cell for a KPI of this notebook’s project',
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        const notebook = tracker.currentWidget;
        if (notebook) {
          const { newExperimentCell } = await import('./commands');
          await newExperimentCell(notebook);
        }
      }
    });
    commands.addCommand(CommandIDs.openReport, {
      describedBy: { args: { type: 'object', properties: {} } },
      label: 'bizml: open report',
      caption: 'Build the project’s report (bizml report) and open it in a tab',
      execute: async () => {
        const { openReport } = await import('./commands');
        const path = await openReport(currentPath());
        if (path) {
          await commands.execute('docmanager:open', {
            path,
            factory: 'HTML Viewer'
          });
        }
      }
    });

    const templates = new Map<string, ITemplate>();
    commands.addCommand(CommandIDs.newFromTemplate, {
      describedBy: {
        args: {
          type: 'object',
          properties: {
            template: {
              type: 'string',
              description: 'the template, e.g. roi_analysis'
            },
            cwd: {
              type: 'string',
              description: 'the folder to write the notebook into'
            }
          },
          required: ['template']
        }
      },
      label: args => {
        const template = templates.get(String(args.template));
        if (!template) {
          return 'bizml: new notebook from a template';
        }
        return args.isPalette
          ? `bizml: new ${templateLabel(template)} notebook`
          : templateLabel(template);
      },
      caption: args => templates.get(String(args.template))?.title ?? '',
      iconClass: args =>
        `bizml-template bizml-template-${String(args.template)}`,
      execute: async args => {
        const template = templates.get(String(args.template));
        if (!template) {
          return;
        }
        const folder = String(args.cwd ?? browser?.model.path ?? '');
        const { createFromTemplate } = await import('./templates');
        const path = await createFromTemplate(template, folder);
        if (path) {
          await commands.execute('docmanager:open', { path });
        }
      }
    });

    for (const command of [
      CommandIDs.showPanel,
      CommandIDs.newCell,
      CommandIDs.openReport
    ]) {
      palette?.addItem({ command, category: 'bizml' });
    }

    void fetchTemplates()
      .then(found => {
        found.forEach((template, rank) => {
          templates.set(template.name, template);
          const args = { template: template.name };
          launcher?.add({
            command: CommandIDs.newFromTemplate,
            args,
            category: 'bizml',
            rank
          });
          palette?.addItem({
            command: CommandIDs.newFromTemplate,
            args: { ...args, isPalette: true },
            category: 'bizml'
          });
        });
        mainMenu?.fileMenu.newMenu.addGroup(
          found.map(template => ({
            command: CommandIDs.newFromTemplate,
            args: { template: template.name }
          })),
          40
        );
      })
      .catch(error => {
        console.warn('bizml: the templates could not be listed', error);
      });
  }
};

export default plugin;
