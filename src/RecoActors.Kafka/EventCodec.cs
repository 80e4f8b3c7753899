using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using RecoActors.Core;

namespace RecoActors.Kafka;

/// <summary>
/// Reads and writes <see cref="BehaviourEvent"/> as JSON:
/// <c>{"userId":"u1","itemId":"i9","type":"rating","value":4.5,"ts":1700000000000}</c>; a tag carries what the user
/// wrote: <c>{"userId":"u1","itemId":"i9","type":"tag","text":"pixar","ts":1700000000000}</c>.
/// </summary>
/// <remarks>
/// Decoding walks the bytes once with <see cref="Utf8JsonReader"/> rather than the serializer so that every
/// failure gets its own reason (a duplicated field, an id over the limit, a NaN), and the good path allocates
/// only the two id strings and the event. Unknown fields are skipped so producers can add fields first.
/// </remarks>
public static class EventCodec
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 };

    /// <summary>Decodes a Kafka record value; a <see langword="null"/> value (a tombstone) is an error.</summary>
    public static bool TryDecode(byte[]? value, EventRules rules, [NotNullWhen(true)] out BehaviourEvent? ev, [NotNullWhen(false)] out DecodeError? error)
    {
        if (value is null)
        {
            ev = null;
            error = new("null-value", "the record has no value (a null or tombstone record is not an event)");
            return false;
        }
        return TryDecode(value.AsSpan(), rules, out ev, out error);
    }

    /// <summary>Decodes UTF-8 JSON into an event, or says why it is not one.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> utf8, EventRules rules, [NotNullWhen(true)] out BehaviourEvent? ev, [NotNullWhen(false)] out DecodeError? error)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ev = null;
        error = Precheck(utf8, rules);
        if (error is not null) return false;

        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            error = Read(ref reader, rules, out ev);
        }
        catch (JsonException ex)
        {
            error = Malformed(utf8, reader.BytesConsumed, ex);
        }
        return error is null;
    }

    private static DecodeError? Precheck(ReadOnlySpan<byte> utf8, EventRules rules)
    {
        if (utf8.Length > rules.MaxEventBytes)
            return new("too-large", $"the record is {utf8.Length} bytes; the limit is {rules.MaxEventBytes}");
        if (utf8.IsEmpty)
            return new("not-json", "the record value is empty");
        if (!Utf8.IsValid(utf8))
            return new("invalid-utf8", $"invalid UTF-8 at byte {FirstInvalidUtf8(utf8)}");
        return null;
    }

    private static DecodeError? Read(ref Utf8JsonReader reader, EventRules rules, out BehaviourEvent? ev)
    {
        ev = null;
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
            return new("not-object", $"expected a JSON object, found {Describe(reader.TokenType)}");

        string? userId = null, itemId = null, text = null;
        EventType? type = null;
        float? value = null;
        long? ts = null;
        var seen = Field.None;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            reader.Read();
            if (field == Field.None)
            {
                reader.Skip();
                continue;
            }
            if ((seen & field) != 0) return new("duplicate-field", $"{Name(field)} appears more than once");
            seen |= field;

            var fieldError = field switch
            {
                Field.UserId => ReadId(ref reader, "userId", out userId),
                Field.ItemId => ReadId(ref reader, "itemId", out itemId),
                Field.Type => ReadType(ref reader, out type),
                Field.Value => ReadValue(ref reader, rules, out value),
                Field.Text => ReadText(ref reader, out text),
                _ => ReadTimestamp(ref reader, rules, out ts),
            };
            if (fieldError is not null) return fieldError;
        }
        // Reading to the end makes the reader reject trailing data after the object.
        while (reader.Read()) { }

        if (userId is null) return Missing("userId");
        if (itemId is null) return Missing("itemId");
        if (type is null) return Missing("type");
        if (ts is null) return Missing("ts");
        if (type == EventType.Rating && value is null)
            return new("missing-value", "a rating event needs a numeric value");
        if (type == EventType.Tag && text is null)
            return new("missing-text", "a tag event needs its text");
        if (type != EventType.Tag && text is not null)
            return new("unexpected-text", $"only a tag event has text; this is a {TypeName(type.Value)}");

        ev = new BehaviourEvent(userId, itemId, type.Value, value, ts.Value) { Text = text };
        return null;
    }

    [Flags]
    private enum Field { None = 0, UserId = 1, ItemId = 2, Type = 4, Value = 8, Ts = 16, Text = 32 }

    private static Field FieldOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            return reader.GetString() switch
            {
                "userId" => Field.UserId, "itemId" => Field.ItemId, "type" => Field.Type,
                "value" => Field.Value, "ts" => Field.Ts, "text" => Field.Text, _ => Field.None,
            };
        }
        var name = reader.ValueSpan;
        if (name.SequenceEqual("userId"u8)) return Field.UserId;
        if (name.SequenceEqual("itemId"u8)) return Field.ItemId;
        if (name.SequenceEqual("type"u8)) return Field.Type;
        if (name.SequenceEqual("value"u8)) return Field.Value;
        if (name.SequenceEqual("ts"u8)) return Field.Ts;
        if (name.SequenceEqual("text"u8)) return Field.Text;
        return Field.None;
    }

    private static string Name(Field f) => f switch
    {
        Field.UserId => "userId", Field.ItemId => "itemId", Field.Type => "type", Field.Value => "value", Field.Text => "text", _ => "ts",
    };

    private static DecodeError Missing(string field) => new("missing-field", $"{field} is missing");

    private static DecodeError WrongType(string field, string expected, JsonTokenType found) =>
        new("wrong-type", $"{field} must be {expected}, found {Describe(found)}");

    private static DecodeError? ReadId(ref Utf8JsonReader reader, string field, out string? id)
    {
        id = null;
        if (reader.TokenType != JsonTokenType.String) return WrongType(field, "a string", reader.TokenType);
        id = reader.GetString()!;
        var bytes = reader.ValueIsEscaped ? Encoding.UTF8.GetByteCount(id) : reader.ValueSpan.Length;
        if (string.IsNullOrWhiteSpace(id)) return new("empty-field", $"{field} is empty");
        if (bytes > BehaviourEvent.MaxIdBytes)
            return new("too-long", $"{field} is {bytes} bytes; at most {BehaviourEvent.MaxIdBytes}");
        return null;
    }

    private static DecodeError? ReadText(ref Utf8JsonReader reader, out string? text)
    {
        text = null;
        if (reader.TokenType != JsonTokenType.String) return WrongType("text", "a string", reader.TokenType);
        var value = reader.GetString()!;
        var bytes = reader.ValueIsEscaped ? Encoding.UTF8.GetByteCount(value) : reader.ValueSpan.Length;
        if (string.IsNullOrWhiteSpace(value)) return new("empty-field", "text is empty");
        if (bytes > BehaviourEvent.MaxTextBytes)
            return new("too-long", $"text is {bytes} bytes; at most {BehaviourEvent.MaxTextBytes}");
        text = value;
        return null;
    }

    private static DecodeError? ReadType(ref Utf8JsonReader reader, out EventType? type)
    {
        type = null;
        if (reader.TokenType != JsonTokenType.String) return WrongType("type", "a string", reader.TokenType);
        ReadOnlySpan<byte> s = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
        type = s switch
        {
            _ when s.SequenceEqual("view"u8) => EventType.View,
            _ when s.SequenceEqual("click"u8) => EventType.Click,
            _ when s.SequenceEqual("like"u8) => EventType.Like,
            _ when s.SequenceEqual("purchase"u8) => EventType.Purchase,
            _ when s.SequenceEqual("rating"u8) => EventType.Rating,
            _ when s.SequenceEqual("skip"u8) => EventType.Skip,
            _ when s.SequenceEqual("dislike"u8) => EventType.Dislike,
            _ when s.SequenceEqual("tag"u8) => EventType.Tag,
            _ => null,
        };
        if (type is not null) return null;
        var shown = Encoding.UTF8.GetString(s.Length > 40 ? s[..40] : s);
        return new("unknown-type", $"type '{shown}' is not one of view, click, like, purchase, rating, skip, dislike, tag");
    }

    private static DecodeError? ReadValue(ref Utf8JsonReader reader, EventRules rules, out float? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType == JsonTokenType.String && IsNonFiniteWord(reader.ValueSpan))
            return new("non-finite", $"value must be a finite number, found \"{reader.GetString()}\"");
        if (reader.TokenType != JsonTokenType.Number) return WrongType("value", "a number", reader.TokenType);
        if (!reader.TryGetDouble(out var d) || !double.IsFinite(d) || !float.IsFinite((float)d))
            return new("non-finite", "value must be a finite number (it overflows)");
        if (Math.Abs(d) > rules.MaxAbsValue)
            return new("value-out-of-range", $"value {d} is beyond ±{rules.MaxAbsValue}");
        value = (float)d;
        return null;
    }

    private static DecodeError? ReadTimestamp(ref Utf8JsonReader reader, EventRules rules, out long? ts)
    {
        ts = null;
        if (reader.TokenType != JsonTokenType.Number) return WrongType("ts", "a number (epoch milliseconds)", reader.TokenType);
        if (!reader.TryGetInt64(out var t))
            return new("wrong-type", "ts must be a whole number of epoch milliseconds");
        if (t < rules.EarliestTimestamp || t >= rules.LatestTimestamp)
            return new("timestamp-out-of-range",
                $"ts {t} is outside [{Iso(rules.EarliestTimestamp)}, {Iso(rules.LatestTimestamp)})");
        ts = t;
        return null;
    }

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd");

    private static DecodeError Malformed(ReadOnlySpan<byte> utf8, long consumed, JsonException ex)
    {
        var rest = utf8[(int)Math.Min(consumed, utf8.Length)..].TrimStart(" \t\r\n"u8);
        var at = utf8.Length - rest.Length;
        if (IsNonFiniteWord(rest))
            return new("non-finite", $"numbers must be finite; found a NaN or Infinity literal at byte {at}");
        if (rest.IsEmpty || IsPrefixOfValue(rest))
            return new("truncated", $"the JSON ends at byte {utf8.Length} before the event is complete");
        return new("not-json", $"not valid JSON at byte {at}: {FirstSentence(ex.Message)}");
    }

    private static bool IsPrefixOfValue(ReadOnlySpan<byte> rest)
    {
        // An unterminated string or literal running to the end of the data is a cut, not a typo.
        if (rest[0] == (byte)'"') return rest[1..].IndexOf((byte)'"') < 0;
        return "true"u8.StartsWith(rest) || "false"u8.StartsWith(rest) || "null"u8.StartsWith(rest);
    }

    private static bool IsNonFiniteWord(ReadOnlySpan<byte> s) =>
        s.StartsWith("NaN"u8) || s.StartsWith("Infinity"u8) || s.StartsWith("-Infinity"u8) || s.StartsWith("+Infinity"u8);

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).TrimEnd(' ', '|');
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        var i = 0;
        while (i < utf8.Length)
        {
            if (Rune.DecodeFromUtf8(utf8[i..], out _, out var used) != OperationStatus.Done) return i;
            i += used;
        }
        return i;
    }

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => t.ToString(),
    };

    /// <summary>Writes an event as compact UTF-8 JSON.</summary>
    public static byte[] Encode(BehaviourEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("userId"u8, ev.UserId);
            w.WriteString("itemId"u8, ev.ItemId);
            w.WriteString("type"u8, TypeName(ev.Type));
            if (ev.Value is { } v) w.WriteNumber("value"u8, v);
            if (ev.Text is { } text) w.WriteString("text"u8, text);
            w.WriteNumber("ts"u8, ev.Timestamp);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The wire name of an event type.</summary>
    public static string TypeName(EventType type) => type switch
    {
        EventType.View => "view", EventType.Click => "click", EventType.Like => "like",
        EventType.Purchase => "purchase", EventType.Rating => "rating", EventType.Skip => "skip",
        EventType.Dislike => "dislike", EventType.Tag => "tag",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown event type"),
    };
}
