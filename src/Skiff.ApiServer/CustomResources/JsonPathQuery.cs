using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// The part of kubectl's JSONPath that printer columns use: <c>.a.b</c>, <c>['a.b']</c> or <c>.a\.b</c>, <c>[0]</c> (negative from the
/// end), <c>[*]</c> and <c>.*</c>, and filters <c>[?(@.type=="Ready")]</c> (==, != or a bare path for presence). Missing
/// keys give no results, as upstream's columns run with AllowMissingKeys.
/// </summary>
internal sealed class JsonPathQuery
{
    private readonly List<Step> _steps;

    private JsonPathQuery(List<Step> steps)
    {
        _steps = steps;
    }

    private abstract record Step;

    private sealed record FieldStep(string Name) : Step;

    private sealed record IndexStep(int Index) : Step;

    private sealed record WildcardStep : Step;

    private sealed record FilterStep(JsonPathQuery Path, string? Operator, JsonNode? Operand) : Step
    {
        public bool Matches(JsonNode? candidate)
        {
            IReadOnlyList<JsonNode?> found = Path.Evaluate(candidate);
            return Operator switch
            {
                null => found.Count > 0,
                "==" => found.Any(f => JsonNode.DeepEquals(f, Operand)),
                _ => found.Count > 0 && !found.Any(f => JsonNode.DeepEquals(f, Operand)),
            };
        }
    }

    /// <summary>Parses a path such as <c>.status.conditions[?(@.type=="Ready")].status</c>, optionally wrapped in braces.</summary>
    public static bool TryParse(string text, out JsonPathQuery? query)
    {
        ArgumentNullException.ThrowIfNull(text);
        string path = text.Trim();
        if (path.StartsWith('{') && path.EndsWith('}'))
        {
            path = path[1..^1].Trim();
        }

        var steps = new List<Step>();
        int i = 0;
        if (path.StartsWith('$'))
        {
            i = 1;
        }
        else if (path.StartsWith('@'))
        {
            i = 1;
        }

        while (i < path.Length)
        {
            char c = path[i];
            if (c == '.')
            {
                i++;
                var field = new System.Text.StringBuilder();
                while (i < path.Length && path[i] != '.' && path[i] != '[')
                {
                    // kubectl's escape for dots inside a key: .metadata.annotations.kubernetes\.io/change-cause
                    if (path[i] == '\\' && i + 1 < path.Length)
                    {
                        i++;
                    }

                    field.Append(path[i]);
                    i++;
                }

                string name = field.ToString();
                if (name.Length == 0)
                {
                    query = null;
                    return false;
                }

                steps.Add(name == "*" ? new WildcardStep() : new FieldStep(name));
            }
            else if (c == '[')
            {
                int end = ClosingBracket(path, i);
                if (end < 0 || !TryBracket(path[(i + 1)..end].Trim(), out Step? step))
                {
                    query = null;
                    return false;
                }

                steps.Add(step!);
                i = end + 1;
            }
            else
            {
                query = null;
                return false;
            }
        }

        query = new JsonPathQuery(steps);
        return true;
    }

    /// <summary>Every value the path reaches, in document order; a JSON null found is a null entry.</summary>
    public IReadOnlyList<JsonNode?> Evaluate(JsonNode? root)
    {
        var current = new List<JsonNode?> { root };
        foreach (Step step in _steps)
        {
            var next = new List<JsonNode?>();
            foreach (JsonNode? node in current)
            {
                switch (step)
                {
                    case FieldStep field when node is JsonObject obj && obj.TryGetPropertyValue(field.Name, out JsonNode? value):
                        next.Add(value);
                        break;
                    case IndexStep index when node is JsonArray array:
                        int at = index.Index < 0 ? array.Count + index.Index : index.Index;
                        if (at >= 0 && at < array.Count)
                        {
                            next.Add(array[at]);
                        }

                        break;
                    case WildcardStep when node is JsonArray array:
                        next.AddRange(array);
                        break;
                    case WildcardStep when node is JsonObject obj:
                        next.AddRange(obj.Select(p => p.Value));
                        break;
                    case FilterStep filter:
                        IEnumerable<JsonNode?> candidates = node switch
                        {
                            JsonArray array => array,
                            JsonObject obj => [obj],
                            _ => [],
                        };
                        next.AddRange(candidates.Where(filter.Matches));
                        break;
                }
            }

            current = next;
        }

        return current;
    }

    private static bool TryBracket(string inner, out Step? step)
    {
        step = null;
        if (inner == "*")
        {
            step = new WildcardStep();
        }
        else if ((inner.StartsWith('\'') && inner.EndsWith('\'') || inner.StartsWith('"') && inner.EndsWith('"')) && inner.Length >= 2)
        {
            step = new FieldStep(inner[1..^1]);
        }
        else if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index))
        {
            step = new IndexStep(index);
        }
        else if (inner.StartsWith("?(", StringComparison.Ordinal) && inner.EndsWith(')'))
        {
            step = ParseFilter(inner[2..^1].Trim());
        }

        return step is not null;
    }

    private static FilterStep? ParseFilter(string expression)
    {
        foreach (string op in new[] { "==", "!=" })
        {
            int at = expression.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                string left = expression[..at].Trim();
                string right = expression[(at + op.Length)..].Trim();
                if (!TryParse(left, out JsonPathQuery? path) || !TryLiteral(right, out JsonNode? operand))
                {
                    return null;
                }

                return new FilterStep(path!, op, operand);
            }
        }

        return TryParse(expression, out JsonPathQuery? exists) ? new FilterStep(exists!, null, null) : null;
    }

    private static bool TryLiteral(string text, out JsonNode? value)
    {
        if (text.Length >= 2 && (text[0] == '\'' && text[^1] == '\'' || text[0] == '"' && text[^1] == '"'))
        {
            value = JsonValue.Create(text[1..^1]);
            return true;
        }

        try
        {
            value = JsonNode.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            value = null;
            return false;
        }
    }

    private static int ClosingBracket(string path, int open)
    {
        char? quote = null;
        int depth = 0;
        for (int i = open; i < path.Length; i++)
        {
            char c = path[i];
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '[')
            {
                depth++;
            }
            else if (c == ']' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }
}
