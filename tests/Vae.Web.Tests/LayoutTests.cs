using System.Text.Json;

namespace Vae.Web.Tests;

/// <summary>How the cards sit: rows filled on a desktop, nothing sideways on a phone.</summary>
[Collection(DemoSiteCollection.Name)]
public class LayoutTests(DemoSite site)
{
    // Every card's content reaches at least this share of the card's height: no half-empty cards.
    private const double MinimumFill = 0.75;

    [Fact]
    public async Task At_1400_pixels_every_row_of_cards_is_full_and_no_card_is_half_empty()
    {
        await using var tab = await site.OpenPageAsync(1400, 900);
        await tab.OpenAsync();
        await WaitForContentAsync(tab);
        await tab.ScreenshotAsync("layout-1400");

        using var layout = JsonDocument.Parse(await tab.EvalAsync<string>(MeasureCards));
        var root = layout.RootElement;
        double left = root.GetProperty("left").GetDouble(), right = root.GetProperty("right").GetDouble();
        var cards = root.GetProperty("cards").EnumerateArray().Select(c => new Card(
            c.GetProperty("id").GetString()!, c.GetProperty("left").GetDouble(), c.GetProperty("right").GetDouble(),
            c.GetProperty("top").GetDouble(), c.GetProperty("height").GetDouble(), c.GetProperty("fill").GetDouble())).ToList();
        Assert.Equal(10, cards.Count);

        foreach (var row in cards.GroupBy(c => Math.Round(c.Top)))
        {
            var inRow = row.OrderBy(c => c.Left).ToList();
            string names = string.Join(", ", inRow.Select(c => c.Id));
            Assert.True(Math.Abs(inRow[0].Left - left) < 2 && Math.Abs(inRow[^1].Right - right) < 2,
                $"The row of {names} spans {inRow[0].Left:F0} to {inRow[^1].Right:F0} px of {left:F0} to {right:F0}: it leaves room empty.");
            Assert.True(inRow.Max(c => c.Height) - inRow.Min(c => c.Height) < 2, $"The cards {names} differ in height.");
        }
        // Samples, Draw and Interpolate share a row.
        Assert.Single(cards.Where(c => c.Id is "samples-section" or "draw-section" or "interpolate-section").Select(c => Math.Round(c.Top)).Distinct());
        foreach (var card in cards)
            Assert.True(card.Fill >= MinimumFill, $"{card.Id} is {1 - card.Fill:P0} empty ({card.Height:F0} px tall).");
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task At_390_pixels_nothing_scrolls_sideways_and_the_model_picker_shows_the_whole_name()
    {
        await using var tab = await site.OpenPageAsync(390, 844);
        await tab.OpenAsync();
        await WaitForContentAsync(tab);
        await tab.ScreenshotAsync("layout-390");

        int[] widths = await tab.EvalAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        Assert.True(widths[0] <= widths[1], $"The page is {widths[0]} px wide on a {widths[1]} px screen.");
        string[] wide = await tab.EvalAsync<string[]>(
            "() => [...document.querySelectorAll('main *, header *')].filter(e => e.offsetParent !== null && !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => e.tagName + '#' + e.id)");
        Assert.Empty(wide);

        // The chosen model's name fits in the closed picker, and what it is reads in full below it.
        double[] picker = await tab.EvalAsync<double[]>(
            "() => { const s = document.querySelector('#model-select'); const st = getComputedStyle(s); const c = document.createElement('canvas').getContext('2d'); c.font = st.font; " +
            "const room = s.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight) - 20; return [c.measureText(s.selectedOptions[0].text).width, room]; }");
        Assert.True(picker[0] <= picker[1], $"The picker's text is {picker[0]:F0} px wide in {picker[1]:F0} px.");
        Assert.Contains(site.VaeModelId, await tab.Page.TextContentAsync("#model-details"));
        Assert.True(await tab.EvalAsync<bool>("() => { const r = document.querySelector('#model-details').getBoundingClientRect(); return r.width > 0 && r.right <= innerWidth; }"));

        Assert.InRange(await tab.EvalAsync<int>("() => document.querySelectorAll('#jobs-body tr[data-job-id]').length"), 1, 10);
        Assert.Empty(tab.ScriptErrors);
    }

    private static async Task WaitForContentAsync(DemoPage tab)
    {
        await tab.WaitUntilAsync("() => document.querySelector('#samples-img').naturalWidth > 0", "the sample grid");
        await tab.WaitUntilAsync("() => document.querySelector('#interp-img').naturalWidth > 0", "the interpolation strip");
        await tab.WaitUntilAsync("() => Number(document.querySelector('#scatter-canvas').dataset.pointCount) > 0", "the latent scatter");
        await tab.WaitUntilAsync("() => document.querySelectorAll('#jobs-body tr[data-job-id]').length > 0", "the jobs table");
        await tab.WaitUntilAsync("() => document.querySelectorAll('#compare-body tr[data-model-id]').length > 0", "the comparison");
    }

    private sealed record Card(string Id, double Left, double Right, double Top, double Height, double Fill);

    /// <summary>
    /// The content box of the cards' grid, and per card its box and how much of its height its content
    /// fills (from its top to the lowest visible element in it, plus its bottom padding).
    /// </summary>
    private const string MeasureCards = """
        () => {
          const main = document.querySelector('main');
          const box = main.getBoundingClientRect(), style = getComputedStyle(main);
          const cards = [...main.children].filter(c => c.offsetParent !== null).map(card => {
            const r = card.getBoundingClientRect();
            let bottom = r.top;
            for (const e of card.querySelectorAll('*')) {
              if (e.offsetParent === null) continue;
              const b = e.getBoundingClientRect();
              if (b.width > 0 && b.height > 0) bottom = Math.max(bottom, b.bottom);
            }
            const fill = (bottom - r.top + parseFloat(getComputedStyle(card).paddingBottom)) / r.height;
            return { id: card.id, left: r.left, right: r.right, top: r.top + scrollY, height: r.height, fill };
          });
          return JSON.stringify({ left: box.left + parseFloat(style.paddingLeft), right: box.right - parseFloat(style.paddingRight), cards });
        }
        """;
}
