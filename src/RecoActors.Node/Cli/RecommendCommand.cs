using System.CommandLine;
using System.Net.Http.Json;
using RecoActors.Node.Http;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary><c>reco recommend</c>: asks any node, over HTTP, for a user's recommendations and prints them with their explanations.</summary>
internal static class RecommendCommand
{
    public static Command Create()
    {
        var user = new Argument<string>("user") { Description = "The user id." };
        var connection = new NodeConnection();
        var count = new Option<int>("-n") { Description = "How many items.", DefaultValueFactory = _ => 10 };
        var command = new Command("recommend", "Ask a node for a user's recommendations.") { user, count };
        command.SetAction(async (parse, cancel) =>
        {
            var id = parse.GetValue(user)!;
            using var response = await connection.GetAsync(parse, $"v1/users/{Uri.EscapeDataString(id)}/recommendations?n={parse.GetValue(count)}", "recommend", cancel);
            if (response is null) return 1;
            var answer = (await response.Content.ReadFromJsonAsync(ApiJson.Default.RecommendationsResponse, cancel))!;
            AnsiConsole.Write(Render(answer, itemId => itemId));
            return 0;
        });
        return connection.AddTo(command);
    }

    /// <summary>A ranking as a table: items, scores and where each score came from.</summary>
    public static Table Render(RecommendationsResponse answer, Func<string, string> title)
    {
        var heading = answer.ColdStart
            ? $"user {answer.UserId}: cold start (popular now)"
            : $"user {answer.UserId}: {string.Join(", ", answer.Memberships.Select(m => $"segment {m.Segment} {m.Amount:P0}"))}";
        var table = new Table().Title(Markup.Escape($"{heading} — partition {answer.Partition} on {answer.Node}"))
            .AddColumns("#", "item", "score", "segments", "personal", "related");
        var rank = 0;
        foreach (var item in answer.Items)
            table.AddRow($"{++rank}", Markup.Escape(title(item.ItemId)), $"{item.Score:F3}",
                string.Join(" ", item.Segments.Select(s => $"s{s.Segment}:{s.Amount:F3}")), $"{item.Personal:F3}", $"{item.Related:F3}");
        return table;
    }
}
