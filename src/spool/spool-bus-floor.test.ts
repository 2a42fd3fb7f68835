import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.js';
import { ids, message, RecordingBus, useSpools } from '../../test/spool-harness.js';
import { readCheckpoint } from './checkpoint.js';

const patience = { timeoutMs: 20_000 };

/** Exactly once across a restart, past the bus's duplicate window: the floor saved with the checkpoint. */
describe('spool checkpoint bus floor', () => {
  const spools = useSpools();
  const { open } = spools;
  const checkpoint = async () => {
    const read = await readCheckpoint(spools.dir);
    return read.status === 'ok' ? read : undefined;
  };

  it('saves the bus sequence read before the records after the checkpoint were first published', async () => {
    const bus = new RecordingBus();
    bus.seq = 100;
    const { spool } = await open(bus);
    await spool.append(ids('fl', 5).map(message));
    await waitFor('the checkpoint past the batch', async () => ((await checkpoint())?.position.offset ?? 0) > 0, patience);
    // Nothing after the checkpoint was published: anything published later lies after the bus's current sequence.
    await waitFor('the floor of the next publish', async () => (await checkpoint())?.busFloor === 105, patience);

    const release = bus.hold();
    await spool.append(ids('fm', 5).map(message));
    await waitFor('a publish in progress', () => bus.calls === 2, patience);
    bus.seq = 300; // other producers meanwhile
    await spool.close(0);
    release();
    // The held records were sent when the sequence was 105: a copy of them lies after 105, maybe before 300.
    expect((await checkpoint())?.busFloor).toBe(105);
  });

  it('after a restart, publishes what the last process may have sent with storedAfter, and new records without', async () => {
    const first = new RecordingBus();
    first.seq = 40;
    first.hold(); // published, never acknowledged: the last process stops with them unforwarded
    const a = await open(first);
    await a.spool.append(ids('old', 6).map(message));
    await waitFor('a publish in progress', () => first.calls > 0, patience);
    await a.spool.close(0);
    expect((await checkpoint())?.busFloor).toBe(40);

    const second = new RecordingBus();
    second.seq = 900;
    const b = await open(second);
    await b.spool.append(ids('new', 3).map(message));
    await waitFor('everything published', () => second.unique().size === 9, patience);
    for (const id of ids('old', 6)) expect(second.storedAfter.get(id), id).toBe(40);
    for (const id of ids('new', 3)) expect(second.storedAfter.get(id), id).toBeUndefined();
    await waitFor('the floor past the recovered records', async () => ((await checkpoint())?.busFloor ?? 0) >= 900, patience);
  });

  it('saves no floor for a bus that does not number its messages', async () => {
    const bus = new RecordingBus();
    const { spool } = await open(bus);
    await spool.append(ids('nf', 3).map(message));
    await waitFor('the checkpoint past the batch', async () => ((await checkpoint())?.position.offset ?? 0) > 0, patience);
    expect((await checkpoint())?.busFloor).toBeUndefined();
    await spool.close(0);
  });
});
