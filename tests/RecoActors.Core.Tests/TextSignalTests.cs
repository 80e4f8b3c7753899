using RecoActors.Core;
using RecoActors.Evaluation;
using RecoActors.Text;

namespace RecoActors.Core.Tests;

/// <summary>What text does to the model: tags users write move their profiles, and an item known only by its text reaches the users it suits.</summary>
public sealed class TextSignalTests(TextModelTests.Model model, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TextModelTests.Model>
{
    private static readonly ModelOptions Options = new() { Dimension = 32, Segments = 2 };

    [Fact]
    public void A_tag_moves_the_profile_towards_its_text_and_replays_to_the_same_bits()
    {
        var text = new ContentEmbedder(Options.Dimension, Options.Seed);
        BehaviourEvent[] events =
        [
            new("u", "i1", EventType.Rating, 4f, 1_000),
            new("u", "i2", EventType.Tag, null, 2_000) { Text = "pixar" },
            new("u", "i3", EventType.Tag, null, 3_000) { Text = "Pixar " },
        ];
        Profile Replay(ITextEmbedder? embedder)
        {
            var r = new Recommender(Options, batchEvents: 2, text: embedder);
            foreach (var e in events) r.Apply(e);
            return r.Profile("u")!;
        }
        var tagged = Replay(text);
        var untagged = Replay(null);
        var pixar = text.EmbedText("pixar");
        Assert.True(Vectors.Cosine(tagged.Vector, pixar) > 0.8f, $"cosine with the tag's vector {Vectors.Cosine(tagged.Vector, pixar):F3}");
        Assert.True(Vectors.Cosine(untagged.Vector, pixar) < 0.5f, "without a text model a tag counts as its item");
        Assert.Equal(3, tagged.EventsApplied);
        Assert.True(tagged.Seen.Contains(1) && tagged.Seen.Contains(2), "the tagged items are seen: never recommended back");
        Assert.Equal(tagged.Vector, Replay(text).Vector);
    }

    [Fact]
    public void An_item_with_text_and_no_events_reaches_the_top_50_of_users_whose_history_is_near_its_genre()
    {
        var folder = Enumerable.Range(0, 8).Select(up => Path.Combine([AppContext.BaseDirectory, .. Enumerable.Repeat("..", up), "data", "movielens-small"]))
            .First(d => File.Exists(Path.Combine(d, "movies.csv")));
        List<ItemText> items;
        using (var movies = new StreamReader(Path.Combine(folder, "movies.csv"))) items = [.. ItemTextFile.Read(movies).Items.Take(600)];
        var newcomer = new ItemText("new", "The Little Paper Dragon (2026)", ["Animation", "Children", "Fantasy"], []);
        items.Add(newcomer);

        var options = Options with { Dimension = 64, Segments = 4, TextEmbedder = TextEmbedderKind.MiniLm };
        var embedder = new SentenceEmbedder(model.Encoder, options);
        var r = new Recommender(options, batchEvents: 100, text: embedder);
        var vectors = embedder.EmbedCatalogue(items);
        for (var i = 0; i < items.Count; i++) r.SetItemVector(items[i].ItemId, vectors[i]);

        // Two kinds of user: children's animation, and crime and horror; each rates a few of its kind highly.
        bool Animated(ItemText t) => t.Genres.Contains("Animation") && t.Genres.Contains("Children");
        bool Dark(ItemText t) => t.Genres.Contains("Horror") || t.Genres.Contains("Crime");
        var animated = items.SkipLast(1).Where(Animated).ToList();
        var dark = items.Where(Dark).ToList();
        var random = new Random(7);
        var ts = 1_000_000L;
        var users = new List<(string User, bool LikesAnimation)>();
        for (var u = 0; u < 120; u++)
        {
            var likesAnimation = u % 2 == 0;
            var pool = likesAnimation ? animated : dark;
            foreach (var item in pool.OrderBy(_ => random.Next()).Take(6))
                r.Apply(new BehaviourEvent($"u{u}", item.ItemId, EventType.Rating, 5f, ts += 60_000));
            users.Add(($"u{u}", likesAnimation));
        }
        r.Flush();

        double Reach(bool likesAnimation) => users.Where(u => u.LikesAnimation == likesAnimation)
            .Average(u => r.Rank(u.User, 50, null).Any(x => r.Catalog[x.Item] == "new") ? 1.0 : 0.0);
        var fans = Reach(true);
        var others = Reach(false);
        output.WriteLine($"the new item is in the top 50 of {fans:P0} of the animation fans and of {others:P0} of the others");
        Assert.True(fans >= 0.8, $"the new animated film is in the top 50 of {fans:P0} of the animation fans (of {others:P0} of the others)");
        Assert.True(others <= 0.2, $"and of {others:P0} of the crime and horror fans");
    }
}

public sealed class TagsFileTests
{
    [Fact]
    public void The_tags_users_wrote_are_read_as_tag_events_with_their_text_and_bad_rows_are_counted()
    {
        var folder = Enumerable.Range(0, 8).Select(up => Path.Combine([AppContext.BaseDirectory, .. Enumerable.Repeat("..", up), "data", "movielens-small"]))
            .First(d => File.Exists(Path.Combine(d, "tags.csv")));
        using (var reader = new StreamReader(Path.Combine(folder, "tags.csv")))
        {
            var (events, malformed, _) = TagsFile.Read(reader);
            Assert.Equal(3_683, events.Count);
            Assert.Equal(0, malformed);
            Assert.All(events, e => Assert.True(e.Type == EventType.Tag && !string.IsNullOrWhiteSpace(e.Text)));
            Assert.Equal(new BehaviourEvent("2", "60756", EventType.Tag, null, 1_445_714_994_000) { Text = "funny" }, events[0]);
        }

        var (read, bad, examples) = TagsFile.Read(new StringReader("userId,movieId,tag,timestamp\n7,1,\"dark, funny\",1000\n7,2,,1000\n7,3,x,soon\n"));
        Assert.Equal("dark, funny", Assert.Single(read).Text);
        Assert.Equal(2, bad);
        Assert.Equal(["line 3: empty user, item or tag", "line 4: timestamp 'soon' is not epoch seconds"], examples);
    }
}
