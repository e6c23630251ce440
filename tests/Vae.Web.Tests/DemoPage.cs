using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace Vae.Web.Tests;

/// <summary>One visitor's tab on the demo page: what it logged, and the gestures the tests make.</summary>
public sealed class DemoPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly ConcurrentQueue<string> _consoleErrors = new();
    private readonly ConcurrentQueue<string> _scriptErrors = new();

    public DemoPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error") _consoleErrors.Enqueue($"{message.Text} ({message.Location})");
        };
        page.PageError += (_, error) => _scriptErrors.Enqueue(error);
    }

    public IPage Page { get; }

    /// <summary>Console messages of type error, such as failed loads and logged exceptions.</summary>
    public IReadOnlyCollection<string> ConsoleErrors => _consoleErrors;

    /// <summary>Exceptions the page's scripts did not catch.</summary>
    public IReadOnlyCollection<string> ScriptErrors => _scriptErrors;

    /// <summary>Loads the page (at <paramref name="path"/>, such as "/?model=x") and waits until its first round of requests is answered.</summary>
    public async Task OpenAsync(string path = "/")
    {
        await Page.GotoAsync(path);
        await Page.WaitForSelectorAsync("html[data-ready='true']");
    }

    public Task<T> EvalAsync<T>(string expression, object? arg = null) => Page.EvaluateAsync<T>(expression, arg);

    /// <summary>Waits until a script expression is truthy, naming what was awaited when it never is.</summary>
    public async Task WaitUntilAsync(string expression, string what, object? arg = null, float timeoutMs = 30_000)
    {
        try
        {
            await Page.WaitForFunctionAsync(expression, arg, new PageWaitForFunctionOptions { Timeout = timeoutMs, PollingInterval = 100 });
        }
        catch (TimeoutException e)
        {
            string errors = string.Join(" | ", (await AlertsAsync()).Where(a => a.Length > 0));
            string shot = await ScreenshotAsync("timeout-" + string.Concat(what.Select(c => char.IsLetterOrDigit(c) ? c : '-')));
            throw new TimeoutException($"Timed out waiting for {what}. Alerts on the page: {(errors.Length > 0 ? errors : "none")}. Screenshot: {shot}", e);
        }
    }

    /// <summary>The text of every role="alert" element, for failure messages.</summary>
    public async Task<string[]> AlertsAsync()
        => await Page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('[role=alert]')].map(e => (e.id + ': ' + e.textContent).trim()).filter(t => !t.endsWith(':'))");

    /// <summary>Draws strokes with the mouse on a canvas; points are fractions of its width and height.</summary>
    public async Task DrawAsync(string canvasSelector, params (double X, double Y)[][] strokes)
    {
        var canvas = Page.Locator(canvasSelector);
        await canvas.ScrollIntoViewIfNeededAsync();
        var box = await canvas.BoundingBoxAsync() ?? throw new InvalidOperationException($"{canvasSelector} is not on screen.");
        foreach (var stroke in strokes)
        {
            await Page.Mouse.MoveAsync(box.X + (float)stroke[0].X * box.Width, box.Y + (float)stroke[0].Y * box.Height);
            await Page.Mouse.DownAsync();
            foreach (var (x, y) in stroke.Skip(1))
                await Page.Mouse.MoveAsync(box.X + (float)x * box.Width, box.Y + (float)y * box.Height, new MouseMoveOptions { Steps = 6 });
            await Page.Mouse.UpAsync();
        }
    }

    /// <summary>Sets a range or other input's value as a visitor's change would, firing input and change.</summary>
    public Task SetValueAsync(string selector, string value)
        => Page.Locator(selector).EvaluateAsync(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); }",
            value);

    /// <summary>Saves a full-page screenshot as screenshots/{name}.png next to the test assembly.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        string path = Path.Combine(DemoSite.ScreenshotDirectory, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
