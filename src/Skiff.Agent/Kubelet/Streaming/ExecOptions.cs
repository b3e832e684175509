using Microsoft.AspNetCore.Http;

namespace Skiff.Agent.Kubelet.Streaming;

/// <summary>
/// The query of an exec or attach request: repeated <c>command</c>, and <c>stdin</c>, <c>stdout</c>, <c>stderr</c>, <c>tty</c>
/// as Go parses booleans (kubectl sends <c>true</c>, the API server's kubelet URLs and the C# client <c>1</c>).
/// </summary>
internal sealed record ExecOptions(IReadOnlyList<string> Command, bool Stdin, bool Stdout, bool Stderr, bool Tty)
{
    public static ExecOptions? Parse(IQueryCollection query, bool attach, out string error)
    {
        ArgumentNullException.ThrowIfNull(query);
        error = "";
        var flags = new bool[4];
        string[] names = ["stdin", "stdout", "stderr", "tty"];
        for (var i = 0; i < names.Length; i++)
        {
            var value = query[names[i]].ToString();
            if (value.Length > 0 && !TryParseBool(value, out flags[i]))
            {
                error = "invalid value '" + value + "' for " + names[i];
                return null;
            }
        }
        var command = query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (!attach && command.Count == 0)
        {
            error = "you must specify at least one command for the container";
            return null;
        }
        if (!flags[0] && !flags[1] && !flags[2])
        {
            error = "you must specify at least one of stdin, stdout, stderr";
            return null;
        }
        // With a terminal, stderr is part of the terminal's output: the runtime refuses tty together with stderr.
        return new ExecOptions(command, flags[0], flags[1], flags[2] && !flags[3], flags[3]);
    }

    /// <summary>Go's strconv.ParseBool.</summary>
    private static bool TryParseBool(string value, out bool result)
    {
        switch (value)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                result = true;
                return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                result = false;
                return true;
            default:
                result = false;
                return false;
        }
    }
}
