/**
 * The server extension's routes (bizml_nb.interfaces.lab_server, docs/jupyterlab.md),
 * called with the server's own authentication (ServerConnection adds the token and
 * the XSRF header).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IVerdict } from './format';

/** A run of a leaderboard (`GET /bizml/project`). */
export interface IRunRow {
  rank: number | null;
  id: string;
  short_id: string;
  name: string;
  started_at: string;
  tags: string[];
  hypothesis: string | null;
  is_baseline: boolean;
  notebook: string | null;
  metrics: Record<string, number>;
  business_delta: number[] | null;
  value_per_year: number[] | null;
  verdict: IVerdict | null;
}

export interface IKpi {
  name: string;
  unit: string;
  direction: string;
  baseline: number | null;
  target: number | null;
  value_per_unit: number | null;
  owner: string | null;
  description: string | null;
  runs: number;
  failed_runs: number;
  leaderboard: IRunRow[];
}

export interface ILink {
  from: string;
  to: string;
  kind: string;
  label: string;
}

export interface ITreeNode {
  kpi: string;
  links_in: number[];
  feeds: { link: number; node: ITreeNode }[];
}

export interface IProject {
  project: {
    name: string;
    currency: string;
    root: string;
    registry: string;
    min_annual_value: number;
  };
  kpis: IKpi[];
  links: ILink[];
  tree: ITreeNode[];
  root: string;
  version: string;
  filters: { kpi: string | null; tags: string[]; limit: number | null };
  tags: string[];
}

export interface ITemplateParameter {
  name: string;
  type: string;
  kinds: string[];
  default: unknown;
  comment: string | null;
}

export interface ITemplate {
  name: string;
  title: string;
  parameters: ITemplateParameter[];
}

/** A refusal of a route: its HTTP status and its one message. */
export class BizmlError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

/** Call `/bizml/<endpoint>`; the JSON answer, or a BizmlError with the route's message. */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  query: Record<string, string | string[] | number | null | undefined> = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) {
      continue;
    }
    for (const one of Array.isArray(value) ? value : [value]) {
      params.append(key, String(one));
    }
  }
  const search = params.toString();
  const url =
    URLExt.join(settings.baseUrl, 'bizml', endpoint) +
    (search ? `?${search}` : '');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message =
      typeof body === 'object' && body !== null && 'message' in body
        ? String((body as { message: unknown }).message)
        : `${response.status} ${response.statusText}`;
    throw new BizmlError(message, response.status);
  }
  return body as T;
}

/** The project holding `path` (a notebook or folder, relative to the server's root). */
export function fetchProject(
  path: string,
  filters: { tags?: string[]; limit?: number } = {}
): Promise<IProject> {
  return requestAPI<IProject>(
    'project',
    {},
    { path, tag: filters.tags, limit: filters.limit }
  );
}

export function fetchVersion(
  path: string
): Promise<{ version: string; root: string }> {
  return requestAPI('version', {}, { path });
}

export async function fetchTemplates(): Promise<ITemplate[]> {
  const answer = await requestAPI<{ templates: ITemplate[] }>('templates');
  return answer.templates;
}

export function newNotebook(body: {
  template: string;
  folder: string;
  name: string;
  parameters: Record<string, unknown>;
}): Promise<{ path: string }> {
  return requestAPI('new', { method: 'POST', body: JSON.stringify(body) });
}

export function buildReport(
  path: string,
  force: boolean
): Promise<{ path: string }> {
  return requestAPI('report', {
    method: 'POST',
    body: JSON.stringify({ path, force })
  });
}
