using RecoActors.Core;
using RecoActors.Evaluation;
using RecoActors.Node.Evaluation;

namespace RecoActors.Node.Tests;

public class ActorEvaluationTests
{
    [Fact]
    public void The_prequential_evaluator_through_the_actors_scores_exactly_as_the_core_only_loop()
    {
        // The first 20,000 ratings of the bundled sample (by file order), with the movies' text for content vectors.
        var lines = File.ReadLines(SampleData.Ratings).Take(20_001);
        var log = RatingsFile.Read(new StringReader(string.Join('\n', lines)));
        using var movies = new StreamReader(Path.Combine(SampleData.Folder, "movies.csv"));
        var items = ItemTextFile.Read(movies, null).Items;
        var options = new ModelOptions { Dimension = 32 };

        var core = Prequential.Run("sample", log, items, options, only: ["fusion", "k1"]);
        var actors = Prequential.Run("sample", log, items, options, only: ["fusion", "k1"], engine: ActorFusionModel.Factory);

        Assert.True(core.Evaluated > 1_000, $"only {core.Evaluated} events evaluated");
        Assert.True(core.Models["fusion"].HitRate > 0.02, $"fusion HR@10 {core.Models["fusion"].HitRate}");
        foreach (var model in new[] { "fusion", "k1" })
        {
            Assert.Equal(core.Models[model].HitRate, actors.Models[model].HitRate);
            Assert.Equal(core.Models[model].Ndcg, actors.Models[model].Ndcg);
            Assert.Equal(core.Models[model].Coverage, actors.Models[model].Coverage);
        }
    }
}
