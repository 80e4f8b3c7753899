using RecoActors.Core;
using RecoActors.Evaluation;

namespace RecoActors.Node.Tests;

/// <summary><c>reco embed</c> as users run it: the file it writes is what the file embedder reads back, vector for vector.</summary>
public sealed class EmbedCommandTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reco-embed-");

    [Fact]
    public async Task The_vectors_written_are_the_embedders_and_read_back_as_they_were()
    {
        var output = Path.Combine(_folder.FullName, "items.jsonl");
        var movies = Path.Combine(SampleData.Folder, "movies.csv");
        using var embed = RecoProcess.Start(null, "embed", "--items", movies, "--out", output, "--text-embedder", "hashing", "--dimension", "32");
        Assert.True(await embed.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, embed.Output);
        Assert.Contains("9,742 vectors of 32 written to", embed.Output);

        var items = ItemTextFile.Read(movies).Items;
        var expected = new ContentEmbedder(32, new ModelOptions().Seed).EmbedCatalogue(items);
        Dictionary<string, float[]> written;
        using (var reader = new StreamReader(output)) written = EmbeddingReader.Read(reader, "items.jsonl", 32);
        Assert.Equal(items.Count, written.Count);
        for (var i = 0; i < items.Count; i++) Assert.Equal(expected[i], written[items[i].ItemId]);
    }

    [Fact]
    public async Task An_embedder_that_reads_no_text_is_refused_with_a_reason()
    {
        using var embed = RecoProcess.Start(null, "embed", "--items", Path.Combine(SampleData.Folder, "movies.csv"), "--out", Path.Combine(_folder.FullName, "x.jsonl"), "--text-embedder", "none");
        Assert.Equal(2, await embed.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("--text-embedder: none embeds no text", embed.Output);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
