using System.Text;

namespace Skiff.Agent.Kubelet.Config;

/// <summary>
/// Upstream's <c>$(VAR)</c> references in env values, command and args: <c>$(NAME)</c> becomes NAME's value when NAME is
/// defined and stays as written when not, <c>$$</c> is a literal <c>$</c>, any other <c>$</c> is kept as is.
/// </summary>
public static class EnvExpansion
{
    public static string Expand(string input, Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(lookup);
        if (!input.Contains('$', StringComparison.Ordinal))
        {
            return input;
        }

        var sb = new StringBuilder(input.Length);
        int i = 0;
        while (i < input.Length)
        {
            char c = input[i];
            if (c != '$' || i + 1 >= input.Length)
            {
                sb.Append(c);
                i++;
                continue;
            }

            char next = input[i + 1];
            if (next == '$')
            {
                sb.Append('$');
                i += 2;
            }
            else if (next == '(' && input.IndexOf(')', i + 2) is int close and > 0)
            {
                string name = input[(i + 2)..close];
                sb.Append(name.Length > 0 && lookup(name) is { } value ? value : input[i..(close + 1)]);
                i = close + 1;
            }
            else
            {
                sb.Append(c).Append(next);
                i += 2;
            }
        }

        return sb.ToString();
    }

    /// <summary>A C identifier-ish env var name as the API accepts it: letters, digits, '_', '-', '.', not starting with a digit.</summary>
    public static bool IsEnvVarName(string name) =>
        !string.IsNullOrEmpty(name) && !char.IsAsciiDigit(name[0]) && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-' or '.');
}
