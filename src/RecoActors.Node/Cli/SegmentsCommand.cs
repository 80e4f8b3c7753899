using System.CommandLine;
using System.Net.Http.Json;
using RecoActors.Node.Http;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary><c>reco segments</c>: asks any node, over HTTP, for the model's segments and prints their sizes, drift and top items.</summary>
internal static class SegmentsCommand
{
    public static Command Create()
    {
        var connection = new NodeConnection();
        var top = new Option<int>("--top") { Description = "Top items shown per segment.", DefaultValueFactory = _ => 5 };
        var command = new Command("segments", "Show the model's segments: size, share, drift and top items.") { top };
        command.SetAction(async (parse, cancel) =>
        {
            using var response = await connection.GetAsync(parse, $"v1/segments?top={parse.GetValue(top)}", "segments", cancel);
            if (response is null) return 1;
            AnsiConsole.Write(Render((await response.Content.ReadFromJsonAsync(ApiJson.Default.SegmentsResponse, cancel))!, id => id));
            return 0;
        });
        return connection.AddTo(command);
    }

    /// <summary>The segments as a table, largest first; σ λ μ ν are each segment's learned weights of its users' terms (segments' items, personal, related, its own neighbours).</summary>
    public static Table Render(SegmentsResponse answer, Func<string, string> title)
    {
        var table = new Table().Title(Markup.Escape($"model version {answer.ModelVersion} on {answer.Node}: {answer.Segments.Count} segments, {answer.EventsFolded:N0} events folded"))
            .AddColumns("segment", "weight", "share", "drift", "σ λ μ ν", "top items");
        foreach (var s in answer.Segments.OrderByDescending(s => s.Weight))
            table.AddRow($"{s.Segment}", $"{s.Weight:N1}", $"{s.Share:P1}", $"{s.Drift:F4}",
                $"{s.FusionWeights.Segments:F1} {s.FusionWeights.Personal:F1} {s.FusionWeights.Related:F1} {s.FusionWeights.Local:F1}", Markup.Escape(string.Join(", ", s.TopItems.Select(i => title(i.ItemId)))));
        return table;
    }
}
