using Skiff.Machinery.Errors;

namespace Skiff.Machinery.Selectors;

/// <summary>A parsed field selector: <c>field=value</c>, <c>field==value</c> or <c>field!=value</c>, joined by commas.</summary>
public sealed class FieldSelector
{
    private FieldSelector(IReadOnlyList<FieldRequirement> requirements) => Requirements = requirements;

    public static FieldSelector Everything { get; } = new([]);

    public IReadOnlyList<FieldRequirement> Requirements { get; }

    public bool IsEmpty => Requirements.Count == 0;

    /// <summary>Parses a selector; throws a 400 <see cref="StatusException"/> when a term has no operator.</summary>
    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<FieldRequirement>();
        foreach (string raw in text.Split(','))
        {
            string term = raw.Trim();
            int notEqual = term.IndexOf("!=", StringComparison.Ordinal);
            int equal = term.IndexOf('=', StringComparison.Ordinal);
            if (notEqual > 0)
            {
                requirements.Add(new FieldRequirement(term[..notEqual].Trim(), term[(notEqual + 2)..].Trim(), Equal: false));
            }
            else if (equal > 0)
            {
                string value = term[(equal + 1)..];
                requirements.Add(new FieldRequirement(term[..equal].Trim(), value.StartsWith('=') ? value[1..].Trim() : value.Trim(), Equal: true));
            }
            else
            {
                throw ApiErrors.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            }
        }

        return new FieldSelector(requirements);
    }

    /// <summary>The same selector with every field path renamed (a version's names mapped to the stored version's).</summary>
    public FieldSelector MapFields(Func<string, string> rename)
    {
        ArgumentNullException.ThrowIfNull(rename);
        return IsEmpty ? this : new FieldSelector([.. Requirements.Select(r => r with { Field = rename(r.Field) })]);
    }

    /// <summary>The value an equality term asks for, when the selector pins <paramref name="field"/> (used to narrow a watch).</summary>
    public string? ExactValue(string field) =>
        Requirements.FirstOrDefault(r => r.Equal && r.Field == field)?.Value;

    /// <summary>True when every term holds; <paramref name="fields"/> gives the object's selectable field values.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (FieldRequirement requirement in Requirements)
        {
            string actual = fields.TryGetValue(requirement.Field, out string? value) ? value : string.Empty;
            if ((actual == requirement.Value) != requirement.Equal)
            {
                return false;
            }
        }

        return true;
    }
}
