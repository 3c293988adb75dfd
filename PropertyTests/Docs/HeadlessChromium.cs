using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Functional.PropertyTests.Docs;

/// <summary>What a page showed in the browser: its first heading, its text, a PNG screenshot and every error it reported.</summary>
/// <param name="Heading">The text of the page's first <c>h1</c> (empty when there is none).</param>
/// <param name="Text">The page's visible text (<c>document.body.innerText</c>).</param>
/// <param name="Screenshot">A PNG of the page's viewport.</param>
/// <param name="Errors">Console errors, uncaught exceptions and failed loads (a 404, a refused script), each with its source.</param>
public sealed record PageVisit(string Heading, string Text, byte[] Screenshot, IReadOnlyList<string> Errors);

/// <summary>
/// Headless Chromium (Debian's <c>chromium</c>) driven through the DevTools protocol over its web socket: opens a page,
/// waits until its network is idle, collects console errors, uncaught exceptions and failed loads (which
/// <c>--enable-logging</c> cannot tell from ordinary log lines), reads its heading and text, and takes a screenshot.
/// One browser process per instance, in a fresh profile folder; disposing ends that process and deletes the folder.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    readonly Process process;
    readonly string profile;
    readonly ClientWebSocket socket = new();
    readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> pending = new();
    readonly BlockingCollection<JsonObject> events = new();
    readonly CancellationTokenSource stop = new();
    int nextId;

    /// <summary>The browser executable on the PATH (<c>chromium</c>, <c>chromium-browser</c>, <c>google-chrome</c>), or null.</summary>
    public static string? Executable { get; } = new[] { "chromium", "chromium-browser", "google-chrome" }
        .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name)))
        .FirstOrDefault(File.Exists);

    /// <summary>Starts the browser (the flags that work in a container: no sandbox, no GPU, no background networking).</summary>
    public HeadlessChromium()
    {
        var executable = Executable ?? throw new InvalidOperationException("No chromium on the PATH (Debian: apt-get install chromium).");
        profile = Directory.CreateTempSubdirectory("functional-chromium-").FullName;
        var start = new ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var flag in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900",
                     $"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank",
                 })
            start.ArgumentList.Add(flag);
        process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        process.StandardOutput.ReadToEndAsync();
        var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        _ = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (log) log.AppendLine(line);
                const string marker = "DevTools listening on ";
                var at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0) address.TrySetResult(line[(at + marker.Length)..].Trim());
            }
            lock (log) address.TrySetException(new InvalidOperationException($"{executable} ended without a DevTools address:\n{log}"));
        });
        if (!address.Task.Wait(Timeout))
            throw new TimeoutException($"{executable} gave no DevTools address in {Timeout.TotalSeconds} s:\n{log}");
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.ConnectAsync(new Uri(address.Task.Result), stop.Token).Wait(Timeout);
        _ = Task.Run(Receive);
    }

    /// <summary>Opens <paramref name="url"/> in a new tab and reports what it showed once its network was idle.</summary>
    public PageVisit Visit(Uri url)
    {
        var target = Call("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, null)["targetId"]!.GetValue<string>();
        var session = Call("Target.attachToTarget", new JsonObject { ["targetId"] = target, ["flatten"] = true }, null)["sessionId"]!.GetValue<string>();
        foreach (var domain in new[] { "Page.enable", "Runtime.enable", "Log.enable", "Network.enable" })
            Call(domain, new JsonObject(), session);
        Call("Page.setLifecycleEventsEnabled", new JsonObject { ["enabled"] = true }, session);
        var errors = new List<string>();
        var navigation = Call("Page.navigate", new JsonObject { ["url"] = url.ToString() }, session);
        if (navigation["errorText"] is { } failed) errors.Add($"navigation to {url}: {failed}");
        // Lifecycle events of the blank page the tab opened with can still arrive: only this navigation's count.
        var loader = navigation["loaderId"]?.GetValue<string>();

        var deadline = DateTime.UtcNow + Timeout;
        var idle = false;
        while (!idle)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !events.TryTake(out var message, left))
                throw new TimeoutException($"{url} did not reach network idle in {Timeout.TotalSeconds} s; errors so far: {string.Join("; ", errors)}");
            if (message["sessionId"]?.GetValue<string>() != session) continue;
            var parameters = message["params"]!.AsObject();
            switch (message["method"]!.GetValue<string>())
            {
                case "Page.lifecycleEvent" when parameters["name"]!.GetValue<string>() == "networkIdle"
                                                && (loader is null || parameters["loaderId"]?.GetValue<string>() == loader):
                    idle = true;
                    break;
                case "Runtime.exceptionThrown":
                    var details = parameters["exceptionDetails"]!;
                    errors.Add($"uncaught: {details["exception"]?["description"] ?? details["text"]} ({details["url"]}:{details["lineNumber"]})");
                    break;
                case "Runtime.consoleAPICalled" when parameters["type"]!.GetValue<string>() is "error" or "assert":
                    var arguments = parameters["args"]!.AsArray().Select(argument => argument!["value"]?.ToString() ?? argument["description"]?.ToString());
                    errors.Add($"console.{parameters["type"]}: {string.Join(" ", arguments)}");
                    break;
                case "Log.entryAdded" when parameters["entry"]!["level"]!.GetValue<string>() == "error":
                    errors.Add($"log: {parameters["entry"]!["text"]} ({parameters["entry"]!["url"]})");
                    break;
                case "Network.loadingFailed":
                    errors.Add($"load failed: {parameters["errorText"]} (request {parameters["requestId"]})");
                    break;
                case "Network.responseReceived" when parameters["response"]!["status"]!.GetValue<int>() >= 400:
                    errors.Add($"HTTP {parameters["response"]!["status"]}: {parameters["response"]!["url"]}");
                    break;
            }
        }

        string Evaluate(string expression) =>
            Call("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true }, session)["result"]?["value"]?.ToString() ?? "";
        var heading = Evaluate("(document.querySelector('h1') || { innerText: '' }).innerText");
        var text = Evaluate("document.body ? document.body.innerText : ''");
        var screenshot = Convert.FromBase64String(Call("Page.captureScreenshot", new JsonObject { ["format"] = "png" }, session)["data"]!.GetValue<string>());
        // Events that arrived after network idle (a late script error) count too.
        while (events.TryTake(out var late))
            if (late["sessionId"]?.GetValue<string>() == session && late["method"]?.GetValue<string>() is "Runtime.exceptionThrown")
                errors.Add($"uncaught: {late["params"]!["exceptionDetails"]!["text"]}");
        Call("Target.closeTarget", new JsonObject { ["targetId"] = target }, null);
        return new PageVisit(heading.Trim(), text, screenshot, errors);
    }

    JsonObject Call(string method, JsonObject parameters, string? session)
    {
        var id = Interlocked.Increment(ref nextId);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (session is not null) message["sessionId"] = session;
        lock (socket)
            socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, stop.Token).Wait(Timeout);
        if (!reply.Task.Wait(Timeout)) throw new TimeoutException($"{method}: no answer in {Timeout.TotalSeconds} s.");
        var answer = reply.Task.Result;
        if (answer["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        return answer["result"]?.AsObject() ?? new JsonObject();
    }

    async Task Receive()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var part = await socket.ReceiveAsync(buffer, stop.Token);
                if (part.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage) continue;
                var json = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                if (json["id"] is { } id && pending.TryRemove(id.GetValue<int>(), out var reply)) reply.TrySetResult(json);
                else if (json["method"] is not null) events.Add(json);
            }
        }
        catch (Exception error) when (error is OperationCanceledException or WebSocketException or JsonException)
        {
        }
        finally
        {
            foreach (var reply in pending.Values) reply.TrySetException(new InvalidOperationException("The browser closed its DevTools connection."));
        }
    }

    /// <summary>Closes the connection, ends the browser process (and its children) and deletes its profile folder.</summary>
    public void Dispose()
    {
        stop.Cancel();
        socket.Dispose();
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
        }
        stop.Dispose();
    }
}
