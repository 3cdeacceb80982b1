import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTraceparent, Tracing } from '../../../src/observability/tracing.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

test('traceparent parsing follows W3C Trace Context', () => {
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-01`), {
    traceId: TRACE,
    parentId: PARENT,
    sampled: true,
  });
  assert.equal(parseTraceparent(`00-${TRACE}-${PARENT}-00`)?.sampled, false);
  // A later version may append fields; version 00 may not.
  assert.equal(parseTraceparent(`01-${TRACE}-${PARENT}-01-extra`)?.traceId, TRACE);
  assert.equal(parseTraceparent(`00-${TRACE}-${PARENT}-01-extra`), null);
  for (const invalid of [
    `ff-${TRACE}-${PARENT}-01`,
    `00-${'0'.repeat(32)}-${PARENT}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE.toUpperCase()}-${PARENT}-01`,
    `00-${TRACE}-${PARENT}`,
    'garbage',
  ]) {
    assert.equal(parseTraceparent(invalid), null, invalid);
  }
});

test('an incoming trace is continued with a new parent id and its sampled flag', () => {
  const tracing = new Tracing({ serviceName: 't', sampleRate: 0, otlp: null });
  const headers = ['Host', 'a.test', 'TraceParent', `00-${TRACE}-${PARENT}-01`, 'tracestate', 'v=1'];
  const trace = tracing.begin(headers, 'GET');
  assert.equal(trace.traceId, TRACE);
  assert.equal(trace.span, null, 'nothing is exported without an OTLP endpoint');
  assert.equal(headers.length, 6, 'replaced in place');
  const [, traceId, spanId, flags] = (headers[3] as string).split('-');
  assert.equal(traceId, TRACE);
  assert.notEqual(spanId, PARENT);
  assert.equal(flags, '01', 'the parent decided: sampled even though sampleRate is 0');
  assert.equal(headers[5], 'v=1');
});

test('without a valid traceparent a new trace starts, sampled by sampleRate', () => {
  const sampled = new Tracing({ serviceName: 't', sampleRate: 1, otlp: null });
  const headers: string[] = ['Host', 'a.test'];
  const trace = sampled.begin(headers, 'GET');
  assert.equal(headers[2], 'traceparent');
  assert.match(headers[3] as string, new RegExp(`^00-${trace.traceId}-[0-9a-f]{16}-01$`));
  const unsampled = new Tracing({ serviceName: 't', sampleRate: 0.5, otlp: null, random: () => 0.7 });
  const other = ['traceparent', 'not-valid'];
  unsampled.begin(other, 'GET');
  assert.match(other[1] as string, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
});
