import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { statusOf } from "../harness.js";

const human = (content) => ({ messages: [{ type: "human", content, id: randomUUID() }] });

/** Crons through the official SDK: create (stateless and on a thread), search, count, update, delete. */
export function cronsSuite(srv, graph, opts) {
  test("crons: create, search, count, update and delete", opts, async () => {
    const c = srv().client;
    const t = await c.threads.create();
    const stateless = await c.crons.create(graph, {
      schedule: "*/5 * * * *",
      input: human("from a cron"),
      metadata: { tag: "e2e-cron" },
      onRunCompleted: "keep",
    });
    assert.equal(stateless.thread_id, null);
    assert.equal(stateless.schedule, "*/5 * * * *");
    assert.equal(stateless.on_run_completed, "keep");
    assert.equal(stateless.metadata.tag, "e2e-cron");
    assert.ok(Date.parse(stateless.next_run_date) > Date.now(), "next_run_date is in the future");
    assert.equal(new Date(stateless.next_run_date).getUTCMinutes() % 5, 0);

    const onThread = await c.crons.createForThread(t.thread_id, graph, {
      schedule: "0 9 * * 1",
      input: human("weekly"),
      multitaskStrategy: "enqueue",
      enabled: false,
    });
    assert.equal(onThread.thread_id, t.thread_id);
    assert.equal(onThread.enabled, false);

    const mine = await c.crons.search({ threadId: t.thread_id });
    assert.deepEqual(mine.map((x) => x.cron_id), [onThread.cron_id]);
    const enabled = await c.crons.search({ enabled: true, sortBy: "next_run_date", sortOrder: "asc" });
    assert.ok(enabled.some((x) => x.cron_id === stateless.cron_id));
    assert.ok(!enabled.some((x) => x.cron_id === onThread.cron_id));
    assert.equal(await c.crons.count({ threadId: t.thread_id }), 1);

    const updated = await c.crons.update(onThread.cron_id, { schedule: "15 * * * *", enabled: true, input: human("hourly") });
    assert.equal(updated.schedule, "15 * * * *");
    assert.equal(updated.enabled, true);
    assert.equal(new Date(updated.next_run_date).getUTCMinutes(), 15);
    assert.equal(updated.payload.input.messages[0].content, "hourly");

    assert.equal(await statusOf(c.crons.create(graph, { schedule: "not a schedule" })), 422);
    assert.equal(await statusOf(c.crons.create(graph, { schedule: "* * * * *", webhook: "/relative" })), 400);

    await c.crons.delete(stateless.cron_id);
    assert.equal(await statusOf(c.crons.delete(stateless.cron_id)), 404);
    await c.threads.delete(t.thread_id);
    assert.equal(await c.crons.count({ threadId: t.thread_id }), 0, "a thread's crons go with it");
  });
}
