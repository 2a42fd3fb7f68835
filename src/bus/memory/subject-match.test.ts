import { describe, expect, it } from 'vitest';
import { subjectMatches } from './subject-match.js';

describe('subjectMatches', () => {
  it.each([
    ['gatehouse.events', 'gatehouse.events', true],
    ['gatehouse.events', 'gatehouse.dead', false],
    ['gatehouse.*', 'gatehouse.events', true],
    ['gatehouse.*', 'gatehouse.events.x', false],
    ['tic.log.>', 'tic.log.app.error', true],
    ['tic.log.>', 'tic.log', false],
    ['>', 'anything.at.all', true],
    ['a.*.c', 'a.b.c', true],
    ['a.b', 'a', false],
  ])('%s ~ %s is %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });
});
