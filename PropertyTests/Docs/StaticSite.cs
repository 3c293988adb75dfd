using System.Net;

namespace Functional.PropertyTests.Docs;

/// <summary>
/// A folder served over HTTP on 127.0.0.1 (a free port), for a browser to open a built site as a web server would
/// serve it (pages loaded from file:// cannot load the site's script modules). Disposing stops it.
/// </summary>
public sealed class StaticSite : IDisposable
{
    readonly HttpListener listener = new();
    readonly string root;
    readonly Task serving;

    /// <summary>Starts serving <paramref name="root"/>.</summary>
    public StaticSite(string root)
    {
        this.root = Path.GetFullPath(root);
        // HttpListener takes no port 0: try free ports from a random start until one binds.
        var start = Random.Shared.Next(20000, 60000);
        for (var attempt = 0; ; attempt++)
        {
            var port = start + attempt;
            listener.Prefixes.Clear();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                Address = new Uri($"http://127.0.0.1:{port}/");
                break;
            }
            catch (HttpListenerException) when (attempt < 50)
            {
            }
        }
        serving = Task.Run(Serve);
    }

    /// <summary>The site's address, ending in a slash.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The paths that were asked for and not found (each once), so a test can name them.</summary>
    public IReadOnlyCollection<string> NotFound => notFound.Keys.ToArray();

    readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> notFound = new();

    async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var response = context.Response;
            var relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath).TrimStart('/');
            var path = Path.GetFullPath(Path.Combine(root, relative));
            if (Directory.Exists(path)) path = Path.Combine(path, "index.html");
            if (!path.StartsWith(root, StringComparison.Ordinal) || !File.Exists(path))
            {
                notFound.TryAdd("/" + relative, true);
                response.StatusCode = 404;
                continue;
            }
            response.ContentType = ContentType(path);
            var bytes = await File.ReadAllBytesAsync(path);
            response.ContentLength64 = bytes.Length;
            try
            {
                await response.OutputStream.WriteAsync(bytes);
            }
            catch (HttpListenerException)
            {
                // The browser went away mid-response (it was closed): nothing to do.
            }
        }
    }

    static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".json" => "application/json",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".woff" => "font/woff",
        ".woff2" => "font/woff2",
        ".ttf" => "font/ttf",
        ".map" => "application/json",
        _ => "application/octet-stream",
    };

    /// <summary>Stops serving.</summary>
    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        try
        {
            serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
