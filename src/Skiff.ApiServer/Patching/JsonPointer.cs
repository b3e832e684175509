using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

/// <summary>An RFC 6901 JSON Pointer, parsed once so each JSON Patch operation walks the document by tokens.</summary>
internal sealed class JsonPointer
{
    private JsonPointer(string text, IReadOnlyList<string> tokens)
    {
        Text = text;
        Tokens = tokens;
    }

    public string Text { get; }

    /// <summary>The unescaped reference tokens; empty for the whole document.</summary>
    public IReadOnlyList<string> Tokens { get; }

    public bool IsRoot => Tokens.Count == 0;

    public string LastToken => Tokens[^1];

    public static JsonPointer Parse(string text)
    {
        if (text.Length == 0)
        {
            return new JsonPointer(text, []);
        }

        if (text[0] != '/')
        {
            throw PatchErrors.Malformed($"invalid JSON pointer \"{text}\": it must be empty or start with \"/\"");
        }

        string[] raw = text[1..].Split('/');
        var tokens = new string[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            tokens[i] = Unescape(raw[i], text);
        }

        return new JsonPointer(text, tokens);
    }

    /// <summary>The container that holds the pointed-to value, or null when a step on the way is missing.</summary>
    public JsonNode? ResolveParent(JsonNode? document) => Walk(document, Tokens.Count - 1, out JsonNode? parent) ? parent : null;

    /// <summary>Finds the pointed-to value; false when it does not exist (a JSON null that exists is found).</summary>
    public bool TryResolve(JsonNode? document, out JsonNode? value) => Walk(document, Tokens.Count, out value);

    /// <summary>
    /// An array index as RFC 6901 spells it: decimal digits without leading zeros. "-" (one past the end) is only
    /// meaningful to add, so callers handle it before asking.
    /// </summary>
    public static bool TryParseIndex(string token, out int index)
    {
        index = -1;
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0'))
        {
            return false;
        }

        foreach (char c in token)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    private bool Walk(JsonNode? document, int steps, out JsonNode? value)
    {
        JsonNode? current = document;
        for (int i = 0; i < steps; i++)
        {
            switch (current)
            {
                case JsonObject obj when obj.TryGetPropertyValue(Tokens[i], out JsonNode? next):
                    current = next;
                    break;
                case JsonArray array when TryParseIndex(Tokens[i], out int index) && index < array.Count:
                    current = array[index];
                    break;
                default:
                    value = null;
                    return false;
            }
        }

        value = current;
        return true;
    }

    private static string Unescape(string token, string pointer)
    {
        if (!token.Contains('~', StringComparison.Ordinal))
        {
            return token;
        }

        // ~1 must become "/" before ~0 becomes "~", or "~01" would wrongly turn into "/".
        var builder = new StringBuilder(token.Length);
        for (int i = 0; i < token.Length; i++)
        {
            if (token[i] != '~')
            {
                builder.Append(token[i]);
                continue;
            }

            char next = i + 1 < token.Length ? token[i + 1] : '\0';
            builder.Append(next switch
            {
                '0' => '~',
                '1' => '/',
                _ => throw PatchErrors.Malformed($"invalid JSON pointer \"{pointer}\": \"~\" must be followed by 0 or 1"),
            });
            i++;
        }

        return builder.ToString();
    }
}
