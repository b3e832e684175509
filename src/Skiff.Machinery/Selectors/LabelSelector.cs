using k8s.Models;
using Skiff.Machinery.Errors;

namespace Skiff.Machinery.Selectors;

/// <summary>
/// A parsed label selector in the query-string form kubectl sends: equality (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>), set-based
/// (<c>a in (x,y)</c>, <c>a notin (x)</c>), existence (<c>a</c>, <c>!a</c>) and numeric comparison (<c>a&gt;1</c>), joined by commas.
/// </summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    /// <summary>Matches everything.</summary>
    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    /// <summary>Parses a selector; throws a 400 <see cref="StatusException"/> naming the problem.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        foreach (string term in SplitTerms(text))
        {
            requirements.Add(ParseTerm(term.Trim(), text));
        }

        return new LabelSelector(requirements);
    }

    /// <summary>
    /// The selector an object's <c>spec.selector</c> (a <see cref="V1LabelSelector"/>) describes. A null selector selects nothing,
    /// as for PodDisruptionBudgets; an empty one selects everything.
    /// </summary>
    public static LabelSelector FromModel(V1LabelSelector? selector)
    {
        if (selector is null)
        {
            return new LabelSelector([new Requirement(string.Empty, "nothing", [])]);
        }

        var requirements = new List<Requirement>();
        foreach ((string key, string value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            requirements.Add(new Requirement(key, "=", [value]));
        }

        foreach (V1LabelSelectorRequirement expression in selector.MatchExpressions ?? [])
        {
            string op = expression.OperatorProperty switch
            {
                "In" => "in",
                "NotIn" => "notin",
                "Exists" => "exists",
                "DoesNotExist" => "!",
                _ => "nothing",
            };
            requirements.Add(new Requirement(expression.Key, op, [.. expression.Values ?? []]));
        }

        return new LabelSelector(requirements);
    }

    /// <summary>True when every requirement holds for the labels.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        foreach (Requirement requirement in _requirements)
        {
            string? value = null;
            bool has = labels is not null && labels.TryGetValue(requirement.Key, out value);
            bool ok = requirement.Operator switch
            {
                "=" => has && value == requirement.Values[0],
                "!=" => !has || value != requirement.Values[0],
                "in" => has && requirement.Values.Contains(value!),
                "notin" => !has || !requirement.Values.Contains(value!),
                "exists" => has,
                "!" => !has,
                ">" => has && long.TryParse(value, out long gt) && gt > long.Parse(requirement.Values[0], System.Globalization.CultureInfo.InvariantCulture),
                "<" => has && long.TryParse(value, out long lt) && lt < long.Parse(requirement.Values[0], System.Globalization.CultureInfo.InvariantCulture),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<string> SplitTerms(string text)
    {
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static Requirement ParseTerm(string term, string whole)
    {
        if (term.Length == 0)
        {
            throw Invalid(whole, "empty requirement");
        }

        if (term.StartsWith('!'))
        {
            return new Requirement(CheckKey(term[1..].Trim(), whole), "!", []);
        }

        int space = term.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0)
        {
            string key = term[..space].Trim();
            string rest = term[space..].Trim();
            foreach (string op in new[] { "notin", "in" })
            {
                if (rest.StartsWith(op, StringComparison.Ordinal))
                {
                    string set = rest[op.Length..].Trim();
                    if (!set.StartsWith('(') || !set.EndsWith(')'))
                    {
                        throw Invalid(whole, $"expected a parenthesized set of values after \"{op}\"");
                    }

                    string[] values = set[1..^1].Split(',', StringSplitOptions.TrimEntries);
                    return new Requirement(CheckKey(key, whole), op, values);
                }
            }
        }

        foreach (string op in new[] { "!=", "==", "=", ">", "<" })
        {
            int at = term.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                string key = CheckKey(term[..at].Trim(), whole);
                string value = term[(at + op.Length)..].Trim();
                if ((op is ">" or "<") && !long.TryParse(value, out _))
                {
                    throw Invalid(whole, $"for '{op}' the value must be an integer");
                }

                return new Requirement(key, op == "==" ? "=" : op, [value]);
            }
        }

        return new Requirement(CheckKey(term, whole), "exists", []);
    }

    private static string CheckKey(string key, string whole)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or ',' or '=' or '!'))
        {
            throw Invalid(whole, $"invalid label key \"{key}\"");
        }

        return key;
    }

    private static StatusException Invalid(string selector, string why) =>
        ApiErrors.BadRequest($"unable to parse requirement: {why} in label selector \"{selector}\"");

    private sealed record Requirement(string Key, string Operator, string[] Values);
}
