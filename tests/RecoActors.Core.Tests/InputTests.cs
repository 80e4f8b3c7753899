using RecoActors.Evaluation;

namespace RecoActors.Core.Tests;

public class InputTests
{
    [Theory]
    [InlineData("itemId,f1,f2,f3\na,1,2,3\nb,1,2\n", "vectors.csv:3: vector has 2 dimensions; expected 3")]
    [InlineData("a,1,2,3\nb,1,NaN,3\n", "vectors.csv:2: component 2 is not a finite number")]
    [InlineData("a,1,2,3\nb,1,2,3\na,0,0,1\n", "vectors.csv:3: item 'a' appears twice")]
    [InlineData("a,1,x,3\n", "vectors.csv:1: component 2 'x' is not a number")]
    [InlineData("{\"itemId\":\"a\",\"vector\":[1,2,3]}\n{\"itemId\":\"b\",\"vector\":[1,2]}\n", "vectors.csv:2: vector has 2 dimensions; expected 3")]
    [InlineData("{\"itemId\":\"a\",\"vector\":[1,\"2\",3]}\n", "vectors.csv:1: component 2 is not a number")]
    public void A_bad_embedding_file_fails_naming_file_and_line(string text, string message)
    {
        var ex = Assert.Throws<FormatException>(() => EmbeddingReader.Read(new StringReader(text), "vectors.csv", 3));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void A_good_embedding_file_reads_both_formats()
    {
        var v = EmbeddingReader.Read(new StringReader("a,1,2,3\n{\"itemId\":\"b\",\"vector\":[0.5,-1,2e-3]}\n"), "v", 3);
        Assert.Equal([1f, 2f, 3f], v["a"]);
        Assert.Equal([0.5f, -1f, 0.002f], v["b"]);
    }

    [Fact]
    public void Malformed_rating_rows_are_skipped_and_counted_with_their_lines()
    {
        const string text = "userId,movieId,rating,timestamp\n1,10,4.0,964982703\n1,11,abc,964982703\n2,12\n,13,3,964982703\n3,14,2.5,-5\n3,15,5,964982800\n";
        var log = RatingsFile.Read(new StringReader(text));
        Assert.Equal(2, log.Ratings.Count);
        Assert.Equal(4, log.Malformed);
        Assert.Equal(["line 3: rating 'abc' is not a number", "line 4: expected 4 fields, found 2",
            "line 5: empty user or item id", "line 6: timestamp '-5' is not epoch seconds"], log.MalformedExamples);
        Assert.Equal(new Rating("1", "10", 4f, 964_982_703_000), log.Ratings[0]);
    }

    [Fact]
    public void U_data_is_told_apart_by_its_first_line()
    {
        var log = RatingsFile.Read(new StringReader("196\t242\t3\t881250949\n186\t302\t3\t891717742\n"));
        Assert.Equal(2, log.Ratings.Count);
        Assert.Equal("196", log.Ratings[0].UserId);
    }

    [Fact]
    public void Movies_csv_titles_with_commas_and_tags_are_read()
    {
        var (items, malformed) = ItemTextFile.Read(
            new StringReader("movieId,title,genres\n11,\"American President, The (1995)\",Comedy|Drama|Romance\n12,Dracula (1995),(no genres listed)\n"),
            new StringReader("userId,movieId,tag,timestamp\n1,11,politics,1\n"));
        Assert.Equal(0, malformed);
        Assert.Equal("American President, The (1995)", items[0].Title);
        Assert.Equal(["Comedy", "Drama", "Romance"], items[0].Genres);
        Assert.Equal(["politics"], items[0].Tags);
        Assert.Empty(items[1].Genres);
    }
}
