// A small chat page for the browser test (tests/browser.test.js): the
// official React hook useStream from @langchain/langgraph-sdk/react against
// agentgate, bundled with esbuild at test time.
//
// Settings come from the URL: ?api=<agentgate URL>&token=<bearer token>
// &assistant=<graph id>[&thread=<thread id>]. The hook's onThreadId writes
// the new thread's id into the URL so that a reload reopens the same thread,
// and reconnectOnMount (run ids in sessionStorage) rejoins a run still going.
import React, { useCallback, useEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { Client } from "@langchain/langgraph-sdk";
import { useStream } from "@langchain/langgraph-sdk/react";
import { LoadExternalComponent } from "@langchain/langgraph-sdk/react-ui";

const params = new URLSearchParams(window.location.search);
const apiUrl = params.get("api");
const token = params.get("token");
const assistantId = params.get("assistant") || "chatbot";
// ?ui=<component>&city=<prop>: show that generative UI component of the
// assistant's bundle (POST /ui/{assistant}, then its entrypoint.js).
const uiComponent = params.get("ui");
const defaultHeaders = token ? { Authorization: `Bearer ${token}` } : {};

function setThreadInURL(id) {
  const u = new URL(window.location.href);
  if (id) u.searchParams.set("thread", id);
  else u.searchParams.delete("thread");
  window.history.replaceState(null, "", u.toString());
}

function text(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((c) => (typeof c === "string" ? c : c?.text ?? "")).join("");
  return "";
}

function Threads({ client, refreshKey }) {
  const [threads, setThreads] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    client.threads
      .search({ limit: 100 })
      .then((ts) => live && setThreads(ts))
      .catch((e) => live && setError(String(e?.message ?? e)));
    return () => {
      live = false;
    };
  }, [client, refreshKey]);
  if (error) return <p data-testid="threads-error">{error}</p>;
  if (threads == null) return <p data-testid="threads-loading">loading threads…</p>;
  return (
    <ul data-testid="threads" data-count={threads.length}>
      {threads.map((t) => (
        <li key={t.thread_id} data-testid="thread" data-thread-id={t.thread_id}>
          {t.thread_id}
        </li>
      ))}
    </ul>
  );
}

function App() {
  const [threadId, setThreadId] = useState(params.get("thread"));
  const [draft, setDraft] = useState("");
  const [refreshKey, setRefreshKey] = useState(0);
  const client = useMemo(
    () => new Client({ apiUrl, apiKey: null, defaultHeaders, callerOptions: { maxRetries: 0 } }),
    [],
  );
  const onThreadId = useCallback((id) => {
    setThreadId(id);
    setThreadInURL(id);
  }, []);
  const stream = useStream({
    apiUrl,
    apiKey: null,
    assistantId,
    defaultHeaders,
    callerOptions: { maxRetries: 0 },
    threadId,
    onThreadId,
    reconnectOnMount: true,
    messagesKey: "messages",
    onFinish: () => setRefreshKey((k) => k + 1),
    onError: (e) => console.error("useStream error", e),
  });

  // LoadExternalComponent reads the client and the assistant id of the
  // stream. It gets only those: React's development build reads every
  // getter of a changed prop, and useStream's history getter throws
  // without fetchStateHistory.
  const uiStream = useMemo(() => ({ client: stream.client, assistantId }), [stream.client]);

  const send = (e) => {
    e.preventDefault();
    const content = draft;
    setDraft("");
    stream.submit({ messages: [{ type: "human", content }] });
  };
  const resume = (decision) => stream.submit(undefined, { command: { resume: decision } });

  return (
    <main>
      <h1>agentgate browser test</h1>
      <p data-testid="status" data-loading={String(stream.isLoading)} data-thread-id={threadId ?? ""}>
        {stream.isLoading ? "running" : "idle"}
      </p>
      {stream.error ? <p data-testid="error">{String(stream.error?.message ?? stream.error)}</p> : null}
      <ol data-testid="messages">
        {stream.messages.map((m, i) => (
          <li key={m.id ?? i} data-testid={`msg-${m.type}`} data-id={m.id ?? ""}>
            {text(m.content)}
          </li>
        ))}
      </ol>
      {stream.interrupt ? (
        <section data-testid="interrupt">
          <pre data-testid="interrupt-value">{JSON.stringify(stream.interrupt.value)}</pre>
          <button data-testid="approve" onClick={() => resume("approved")}>
            Approve
          </button>
          <button data-testid="deny" onClick={() => resume("denied")}>
            Deny
          </button>
        </section>
      ) : null}
      <form onSubmit={send}>
        <input data-testid="input" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button data-testid="send" type="submit" disabled={stream.isLoading}>
          Send
        </button>
      </form>
      {uiComponent ? (
        <section data-testid="genui">
          <LoadExternalComponent
            stream={uiStream}
            message={{ id: "ui-1", type: "ui", name: uiComponent, props: { city: params.get("city") } }}
            fallback={<p data-testid="genui-loading">loading component…</p>}
          />
        </section>
      ) : null}
      <h2>Your threads</h2>
      <Threads client={client} refreshKey={refreshKey} />
    </main>
  );
}

createRoot(document.getElementById("root")).render(<App />);
