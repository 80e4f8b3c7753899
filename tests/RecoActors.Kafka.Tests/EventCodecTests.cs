using System.Text;
using RecoActors.Core;

namespace RecoActors.Kafka.Tests;

public class EventCodecTests
{
    private static readonly EventRules Rules = EventRules.Default;

    [Fact]
    public void Encode_then_decode_returns_the_same_event()
    {
        var ev = new BehaviourEvent("user-1", "movie:42", EventType.Rating, 4.5f, 1_700_000_000_123);
        Assert.True(EventCodec.TryDecode(EventCodec.Encode(ev), Rules, out var back, out var error), error?.ToString());
        Assert.Equal(ev, back);
        var tag = new BehaviourEvent("user-1", "movie:42", EventType.Tag, null, 1_700_000_000_123) { Text = "très \"drôle\"" };
        Assert.True(EventCodec.TryDecode(EventCodec.Encode(tag), Rules, out back, out error), error?.ToString());
        Assert.Equal(tag, back);
    }

    [Fact]
    public void Decodes_every_type_name_and_skips_unknown_fields()
    {
        foreach (var type in Enum.GetValues<EventType>())
        {
            var text = type == EventType.Tag ? ",\"text\":\"pixar\"" : "";
            var json = $$"""{"extra":{"nested":[1,2]},"ts":946684800000,"type":"{{EventCodec.TypeName(type)}}","itemId":"i","userId":"u","value":1{{text}}}""";
            Assert.True(EventCodec.TryDecode(Encoding.UTF8.GetBytes(json), Rules, out var ev, out var error), error?.ToString());
            Assert.Equal(type, ev.Type);
            Assert.Equal(1f, ev.Value);
        }
    }

    [Fact]
    public void Escaped_ids_are_unescaped_and_measured_in_utf8()
    {
        var json = """{"userId":"u\u00e9","itemId":"\u4e2d","type":"view","ts":946684800000}""";
        Assert.True(EventCodec.TryDecode(Encoding.UTF8.GetBytes(json), Rules, out var ev, out _));
        Assert.Equal("ué", ev.UserId);
        Assert.Equal("中", ev.ItemId);
    }

    /// <summary>Every kind of malformed record, with the reason code it must get.</summary>
    public static TheoryData<string, byte[]?, string> Malformed()
    {
        const string tail = "\"type\":\"view\",\"ts\":946684800000}";
        var data = new TheoryData<string, byte[]?, string>
        {
            { "not JSON", "hello, world"u8.ToArray(), "not-json" },
            { "truncated", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"ty"), "truncated" },
            { "missing userId", Encoding.UTF8.GetBytes("{\"itemId\":\"i1\"," + tail), "missing-field" },
            { "empty itemId", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"\"," + tail), "empty-field" },
            { "id over 128 bytes", Encoding.UTF8.GetBytes("{\"userId\":\"" + new string('x', 129) + "\",\"itemId\":\"i1\"," + tail), "too-long" },
            { "wrong JSON type", Encoding.UTF8.GetBytes("{\"userId\":17,\"itemId\":\"i1\"," + tail), "wrong-type" },
            { "NaN value", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"value\":NaN," + tail), "non-finite" },
            { "Infinity by overflow", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"value\":1e999," + tail), "non-finite" },
            { "unknown type", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"type\":\"teleport\",\"ts\":946684800000}"), "unknown-type" },
            { "absurd timestamp", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"type\":\"view\",\"ts\":99999999999999999}"), "timestamp-out-of-range" },
            { "1 MB payload", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"pad\":\"" + new string('p', 1 << 20) + "\"," + tail), "too-large" },
            { "invalid UTF-8", [.. "{\"userId\":\"u"u8, 0xC3, 0x28, .. "\",\"itemId\":\"i1\","u8, .. Encoding.UTF8.GetBytes(tail)], "invalid-utf8" },
            { "null value", null, "null-value" },
            { "duplicate field", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"userId\":\"u2\",\"itemId\":\"i1\"," + tail), "duplicate-field" },
            { "rating without value", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"type\":\"rating\",\"ts\":946684800000}"), "missing-value" },
            { "tag without text", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"type\":\"tag\",\"ts\":946684800000}"), "missing-text" },
            { "text on a view", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"text\":\"pixar\"," + tail), "unexpected-text" },
            { "text over 256 bytes", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"type\":\"tag\",\"text\":\"" + new string('t', 257) + "\",\"ts\":946684800000}"), "too-long" },
            { "array not object", "[1,2,3]"u8.ToArray(), "not-object" },
            { "trailing garbage", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\"," + tail + "}"), "not-json" },
            { "fractional ts", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"type\":\"view\",\"ts\":9.5e11}"), "wrong-type" },
            { "empty record", [], "not-json" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_records_get_their_own_reason(string kind, byte[]? value, string expectedCode)
    {
        Assert.False(EventCodec.TryDecode(value, Rules, out var ev, out var error), kind);
        Assert.Null(ev);
        Assert.Equal(expectedCode, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Reasons_name_the_offending_field_or_position()
    {
        EventCodec.TryDecode(Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":17,\"type\":\"view\",\"ts\":946684800000}"), Rules, out _, out var wrongType);
        Assert.Equal("itemId must be a string, found a number", wrongType!.Message);
        EventCodec.TryDecode([.. "{\"userId\":\"u"u8, 0xFF], Rules, out _, out var utf8);
        Assert.Equal("invalid UTF-8 at byte 12", utf8!.Message);
    }
}
