using System.CommandLine;
using System.Net.Http.Headers;

namespace RecoActors.Node.Cli;

/// <summary>The options of a command that talks to a running node over HTTP (<c>--node</c>, <c>--token</c>), and its client.</summary>
internal sealed class NodeConnection
{
    /// <summary>Any node's base address; an address that is not http(s) is a parse error that says so.</summary>
    public Option<Uri> Node { get; } = new("--node")
    {
        Description = "Any node's base address.",
        DefaultValueFactory = _ => new Uri("http://localhost:8080"),
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
            result.AddError($"--node: '{text}' is not an http or https address, such as http://localhost:8080");
            return null;
        },
    };

    /// <summary>The bearer token, if the nodes require one.</summary>
    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token, if the nodes require one; default: RECO__HTTP__TOKEN.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RECO__HTTP__TOKEN"),
    };

    /// <summary>Adds both options to <paramref name="command"/>.</summary>
    public Command AddTo(Command command)
    {
        command.Options.Add(Node);
        command.Options.Add(Token);
        return command;
    }

    /// <summary>
    /// GETs <paramref name="path"/> from the node the command line names; null, with the reason on stderr, when the node
    /// cannot be reached or answers with an error.
    /// </summary>
    public async Task<HttpResponseMessage?> GetAsync(ParseResult parse, string path, string command, CancellationToken cancel)
    {
        using var http = new HttpClient { BaseAddress = parse.GetValue(Node), Timeout = TimeSpan.FromSeconds(30) };
        if (parse.GetValue(Token) is { Length: > 0 } token) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            var response = await http.GetAsync(path, cancel);
            if (response.IsSuccessStatusCode) return response;
            Console.Error.WriteLine($"reco {command}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancel)}");
            response.Dispose();
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"reco {command}: cannot reach {http.BaseAddress}: {ex.Message}");
        }
        return null;
    }
}
