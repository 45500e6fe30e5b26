/**
 * The lab's Chronograf resources (deploy/nuc/chronograf) as Chronograf 1.10
 * sees them: the loader's templating, the shape of its Go structs with the
 * rules its server enforces on dashboard cells and templates, and the way its
 * UI renders a cell's InfluxQL before sending it to a source's proxy.
 * Pure functions; the unit test checks the files with them, the end-to-end
 * test renders the queries it runs through a real Chronograf.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESOURCES_DIR = fileURLToPath(new URL('../../deploy/nuc/chronograf/', import.meta.url));

export interface ChronografSource {
  id: string;
  name: string;
  type: string;
  username: string;
  password: string;
  url: string;
  default: boolean;
  telegraf: string;
  defaultRP: string;
  organization: string;
}

export interface CellQuery {
  query: string;
  source: string;
  type: string;
}

export interface Axis {
  bounds: string[];
  label: string;
  prefix: string;
  suffix: string;
  base: string;
  scale: string;
}

export interface Cell {
  i: string;
  x: number;
  y: number;
  w: number;
  h: number;
  name: string;
  type: string;
  queries: CellQuery[];
  axes: Record<string, Axis>;
}

export interface MetaQuery {
  influxql: string;
  db: string;
  rp: string;
  measurement: string;
  tagKey: string;
  fieldKey: string;
}

export interface Template {
  tempVar: string;
  id: string;
  type: string;
  label: string;
  sourceID: string;
  values: { value: string; type: string; selected: boolean }[];
  query?: MetaQuery;
}

export interface Dashboard {
  id: number | string;
  name: string;
  organization: string;
  cells: Cell[];
  templates: Template[];
}

export class ResourceTemplateError extends Error {
  override name = 'ResourceTemplateError';
}

/** Characters Go's html/template rewrites in text (`+` → `&#43;` …) or that break the JSON string around them. */
const MANGLED = /[&'"<>+\\\u0000-\u001f]/;

/**
 * Chronograf's filestore runs each .src, .kap and .org file through Go's
 * html/template with the process environment and missingkey=error (and
 * .dashboard files through text/template). This handles the one form the
 * lab's files use, `{{ .NAME }}`, and refuses what Chronograf would break on.
 */
export function renderResourceTemplate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\{\{(.*?)\}\}/g, (action, inner: string) => {
    const name = /^\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(inner)?.[1];
    if (name === undefined) throw new ResourceTemplateError(`${action}: only {{ .NAME }} lookups are supported here`);
    const value = env[name];
    if (value === undefined) {
      throw new ResourceTemplateError(`${name} is not set: Chronograf skips the whole file (missingkey=error); set it in Chronograf's environment`);
    }
    if (MANGLED.test(value)) {
      throw new ResourceTemplateError(
        `${name} contains one of & ' " < > + \\ or a control character, which Chronograf's html/template loader would rewrite; choose a value without them`,
      );
    }
    return value;
  });
}

export function readResource(file: string): string {
  return readFileSync(`${RESOURCES_DIR}${file}`, 'utf8');
}

/** The committed dashboard, parsed as Chronograf parses it (text/template first; the file has no actions). */
export function readDashboard(): Dashboard {
  return JSON.parse(renderResourceTemplate(readResource('tower.dashboard'), {})) as Dashboard;
}

/** The committed source with its placeholders filled from `env`. */
export function readSource(env: Record<string, string | undefined>): ChronografSource {
  return JSON.parse(renderResourceTemplate(readResource('tower.src'), env)) as ChronografSource;
}

export interface DashboardView {
  /** Lower bound of the time range, as Chronograf writes it (default: now() - 15m). */
  lower?: string;
  /** Auto-refresh, one of Chronograf's labels: 5s, 10s, … (default: the browser's last choice). */
  refresh?: string;
}

/** The Tower dashboard's page in Chronograf's UI at `base`, with its :host: variable set to `host`. */
export function dashboardUrl(base: string, host: string, view: DashboardView = {}): string {
  const url = new URL(`/sources/${readSource({ TOWER_INFLUX_URL: 'x', TOWER_V1_PASSWORD: 'x' }).id}/dashboards/${readDashboard().id}`, base);
  if (view.refresh) url.searchParams.set('refresh', view.refresh);
  url.searchParams.set('lower', view.lower ?? 'now() - 15m');
  url.searchParams.set('tempVars[host]', host);
  return url.toString();
}

// ------------------------------------------------------------------ shape --

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown) => Number.isSafeInteger(v);

/** Collects "path: problem" lines; `check` reads one key of an object. */
class Problems {
  readonly list: string[] = [];

  add(path: string, problem: string): void {
    this.list.push(`${path}: ${problem}`);
  }

  /** Keys outside `known` are typos: Go's decoder would drop them without a word. */
  keys(path: string, value: Json, known: readonly string[]): void {
    for (const key of Object.keys(value)) if (!known.includes(key)) this.add(`${path}.${key}`, 'not a field Chronograf reads');
  }

  check(path: string, value: Json, key: string, test: (v: unknown) => boolean, expected: string, required = true): void {
    if (!(key in value)) {
      if (required) this.add(`${path}.${key}`, `missing (${expected})`);
      return;
    }
    if (!test(value[key])) this.add(`${path}.${key}`, `expected ${expected}, got ${JSON.stringify(value[key])}`);
  }
}

const str = (v: unknown) => typeof v === 'string';
const bool = (v: unknown) => typeof v === 'boolean';
const oneOf =
  (...options: string[]) =>
  (v: unknown) =>
    typeof v === 'string' && options.includes(v);

/** chronograf.Source: `id` is `json:"id,string"`, so a string holding an integer. */
export function sourceProblems(value: unknown): string[] {
  const p = new Problems();
  if (!isObject(value)) return ['source: not a JSON object'];
  const known = [
    'id',
    'name',
    'type',
    'username',
    'password',
    'sharedSecret',
    'url',
    'metaUrl',
    'insecureSkipVerify',
    'default',
    'telegraf',
    'organization',
    'role',
    'defaultRP',
    'version',
  ];
  p.keys('source', value, known);
  p.check('source', value, 'id', (v) => typeof v === 'string' && /^\d+$/.test(v), 'an integer in a string');
  p.check('source', value, 'name', (v) => str(v) && v !== '', 'a non-empty string');
  p.check('source', value, 'type', oneOf('influx', 'influx-enterprise', 'influx-relay', 'influx-v2'), 'influx, influx-enterprise, influx-relay or influx-v2');
  p.check('source', value, 'url', (v) => typeof v === 'string' && /^https?:\/\//.test(v) && URL.canParse(v), 'an http(s) URL');
  for (const key of ['username', 'password', 'telegraf', 'defaultRP', 'organization']) p.check('source', value, key, str, 'a string', false);
  for (const key of ['default', 'insecureSkipVerify']) p.check('source', value, key, bool, 'a boolean', false);
  // The default organization's id; other organizations cannot see the source.
  p.check('source', value, 'organization', (v) => v === 'default', '"default"');
  return p.list;
}

/** The UI's CellType enum (ui/src/types/dashboards.ts). */
const CELL_TYPES = [
  'line',
  'line-stacked',
  'line-stepplot',
  'bar',
  'line-plus-single-stat',
  'single-stat',
  'gauge',
  'table',
  'alerts',
  'news',
  'guide',
  'note',
];
const TEMPLATE_TYPES = ['constant', 'csv', 'fieldKeys', 'tagKeys', 'tagValues', 'measurements', 'databases', 'map', 'influxql', 'text', 'flux'];
const TEMPLATE_VALUE_TYPES = ['csv', 'map', 'fieldKey', 'tagKey', 'tagValue', 'measurement', 'database', 'constant', 'influxql', 'flux'];
const META_QUERY_TEMPLATES = ['tagKeys', 'tagValues', 'fieldKeys', 'measurements', 'databases', 'influxql'];

/** chronograf.Dashboard with the rules of the server's ValidDashboardCellRequest and ValidTemplateRequest. */
export function dashboardProblems(value: unknown): string[] {
  const p = new Problems();
  if (!isObject(value)) return ['dashboard: not a JSON object'];
  p.keys('dashboard', value, ['id', 'name', 'organization', 'cells', 'templates']);
  p.check(
    'dashboard',
    value,
    'id',
    (v) => (isInt(v) && (v as number) > 0) || (typeof v === 'string' && /^\d+$/.test(v)),
    'a positive integer (or one in a string)',
  );
  p.check('dashboard', value, 'name', (v) => str(v) && v !== '', 'a non-empty string');
  p.check('dashboard', value, 'organization', (v) => v === 'default', '"default"');
  p.check('dashboard', value, 'cells', Array.isArray, 'an array');
  p.check('dashboard', value, 'templates', Array.isArray, 'an array', false);
  const cells = Array.isArray(value.cells) ? value.cells : [];
  for (const [n, cell] of cells.entries()) cellProblems(p, `cells[${n}]`, cell);
  const ids = cells.filter(isObject).map((c) => c.i);
  if (new Set(ids).size !== ids.length) p.add('dashboard.cells', 'cell ids ("i") are not unique');
  const templates = Array.isArray(value.templates) ? value.templates : [];
  for (const [n, t] of templates.entries()) templateProblems(p, `templates[${n}]`, t);
  const vars = templates.filter(isObject).map((t) => t.tempVar);
  if (new Set(vars).size !== vars.length) p.add('dashboard.templates', 'a tempVar is defined twice');
  return p.list;
}

function cellProblems(p: Problems, path: string, cell: unknown): void {
  if (!isObject(cell)) {
    p.add(path, 'not an object');
    return;
  }
  const known = [
    'i',
    'x',
    'y',
    'w',
    'h',
    'name',
    'queries',
    'axes',
    'type',
    'colors',
    'legend',
    'tableOptions',
    'fieldOptions',
    'timeFormat',
    'decimalPlaces',
    'note',
    'noteVisibility',
  ];
  p.keys(path, cell, known);
  p.check(path, cell, 'i', (v) => str(v) && v !== '', 'a non-empty string');
  for (const key of ['x', 'y']) p.check(path, cell, key, (v) => isInt(v) && (v as number) >= 0, 'an integer ≥ 0');
  for (const key of ['w', 'h']) p.check(path, cell, key, (v) => isInt(v) && (v as number) >= 1, 'an integer ≥ 1');
  p.check(path, cell, 'name', str, 'a string');
  p.check(path, cell, 'type', oneOf(...CELL_TYPES), CELL_TYPES.join(', '));
  p.check(path, cell, 'noteVisibility', oneOf('default', 'showWhenNoData'), 'default or showWhenNoData', false);
  p.check(path, cell, 'queries', (v) => Array.isArray(v) && v.length > 0, 'a non-empty array');
  for (const [n, q] of (Array.isArray(cell.queries) ? cell.queries : []).entries()) queryProblems(p, `${path}.queries[${n}]`, q);
  p.check(path, cell, 'axes', isObject, 'an object');
  for (const [label, axis] of Object.entries(isObject(cell.axes) ? cell.axes : {})) axisProblems(p, `${path}.axes.${label}`, label, axis);
  p.check(path, cell, 'colors', Array.isArray, 'an array', false);
  for (const [n, c] of (Array.isArray(cell.colors) ? cell.colors : []).entries()) colorProblems(p, `${path}.colors[${n}]`, c);
  p.check(path, cell, 'legend', legendOk, '{} or {type: "static", orientation: top|bottom|left|right}', false);
  p.check(path, cell, 'decimalPlaces', (v) => isObject(v) && bool(v.isEnforced) && isInt(v.digits), '{isEnforced: boolean, digits: integer}', false);
}

function queryProblems(p: Problems, path: string, query: unknown): void {
  if (!isObject(query)) {
    p.add(path, 'not an object');
    return;
  }
  p.keys(path, query, ['query', 'label', 'range', 'queryConfig', 'source', 'type']);
  p.check(path, query, 'query', (v) => str(v) && v.trim() !== '', 'a non-empty string');
  p.check(path, query, 'source', str, 'a string');
  p.check(path, query, 'type', oneOf('influxql', 'flux'), 'influxql or flux', false);
}

function axisProblems(p: Problems, path: string, label: string, axis: unknown): void {
  if (!['x', 'y', 'y2'].includes(label)) p.add(path, 'only axes x, y and y2 exist');
  if (!isObject(axis)) {
    p.add(path, 'not an object');
    return;
  }
  p.keys(path, axis, ['bounds', 'label', 'prefix', 'suffix', 'base', 'scale']);
  p.check(path, axis, 'bounds', (v) => Array.isArray(v) && v.length === 2 && v.every(str), 'two strings');
  for (const key of ['label', 'prefix', 'suffix']) p.check(path, axis, key, str, 'a string', false);
  p.check(path, axis, 'base', oneOf('10', '2', '', 'raw'), '"10", "2", "raw" or ""', false);
  p.check(path, axis, 'scale', oneOf('linear', 'log', ''), 'linear, log or ""', false);
}

function colorProblems(p: Problems, path: string, color: unknown): void {
  if (!isObject(color)) {
    p.add(path, 'not an object');
    return;
  }
  p.check(path, color, 'type', oneOf('max', 'min', 'threshold', 'text', 'background', 'scale'), 'max, min, threshold, text, background or scale');
  p.check(path, color, 'hex', (v) => typeof v === 'string' && /^#[0-9A-Fa-f]{6}$/.test(v), 'a #rrggbb colour');
  for (const key of ['id', 'name', 'value']) p.check(path, color, key, str, 'a string');
}

function legendOk(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (v.type === undefined && v.orientation === undefined) return true;
  return v.type === 'static' && ['top', 'bottom', 'left', 'right'].includes(String(v.orientation));
}

function templateProblems(p: Problems, path: string, template: unknown): void {
  if (!isObject(template)) {
    p.add(path, 'not an object');
    return;
  }
  p.keys(path, template, ['tempVar', 'values', 'id', 'type', 'label', 'query', 'sourceID']);
  p.check(path, template, 'tempVar', (v) => typeof v === 'string' && /^:[A-Za-z0-9_]+:$/.test(v), 'a name between colons, like :host:');
  p.check(path, template, 'id', (v) => str(v) && v !== '', 'a non-empty string');
  p.check(path, template, 'type', oneOf(...TEMPLATE_TYPES), TEMPLATE_TYPES.join(', '));
  p.check(path, template, 'sourceID', str, 'a string', false);
  p.check(path, template, 'values', Array.isArray, 'an array');
  for (const [n, v] of (Array.isArray(template.values) ? template.values : []).entries()) {
    if (!isObject(v)) p.add(`${path}.values[${n}]`, 'not an object');
    else p.check(`${path}.values[${n}]`, v, 'type', oneOf(...TEMPLATE_VALUE_TYPES), TEMPLATE_VALUE_TYPES.join(', '));
  }
  if (META_QUERY_TEMPLATES.includes(String(template.type))) {
    p.check(path, template, 'query', (v) => isObject(v) && str(v.influxql) && v.influxql !== '', 'a meta query with influxql');
  }
}

// --------------------------------------------------------------- rendering --

/** The UI asks for this many points per graph; :interval: is the range divided by it (ui/src/tempVars/utils/replace.ts). */
export const DESIRED_POINTS_PER_GRAPH = 360;

export interface RenderOptions {
  /** The lower end of the time range, e.g. `now() - 15m` (a relative range is a constant, put in unquoted). */
  lower: string;
  /** The upper end; Chronograf uses `now()` when the range has none. */
  upper?: string;
  /** Tag-value variables and the value selected, e.g. {':host:': 'raspberrypi'}; put in single-quoted. */
  tagValues?: Record<string, string>;
}

/** A cell's InfluxQL with its template variables replaced the way the UI does, all but :interval:. */
export function renderCellQuery(query: string, options: RenderOptions): string {
  let text = query
    .split(':dashboardTime:')
    .join(options.lower)
    .split(':upperDashboardTime:')
    .join(options.upper ?? 'now()');
  for (const [tempVar, value] of Object.entries(options.tagValues ?? {})) text = text.split(tempVar).join(`'${value}'`);
  return text;
}

/** :interval: for a query spanning `durationMs` (what the source's /queries endpoint reports as durationMs). */
export function renderInterval(query: string, durationMs: number): string {
  return query.split(':interval:').join(`${Math.round(durationMs / DESIRED_POINTS_PER_GRAPH)}ms`);
}

/** A template's meta query with :database:, :measurement: and :tagKey: filled in, as the UI does before running it. */
export function renderMetaQuery(query: MetaQuery): string {
  return query.influxql.replace(':database:', `"${query.db}"`).replace(':measurement:', `"${query.measurement}"`).replace(':tagKey:', `"${query.tagKey}"`);
}

/** Template variables left in a query: what neither Chronograf's built-ins nor the dashboard's templates define. */
export function undefinedVariables(query: string, templates: readonly Template[]): string[] {
  const known = new Set([':dashboardTime:', ':upperDashboardTime:', ':interval:', ...templates.map((t) => t.tempVar)]);
  return [...new Set(query.match(/:[A-Za-z0-9_]+:/g) ?? [])].filter((v) => !known.has(v));
}
