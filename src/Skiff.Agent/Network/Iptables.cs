using System.Text;

namespace Skiff.Agent.Network;

/// <summary>
/// The iptables operations every node component shares. Each component owns chains with its own prefix (the proxy KUBE-*, the
/// pod network SKIFF-NET-*, network policy SKIFF-NP-*), rewrites them with one <c>iptables-restore --noflush</c> transaction
/// (declaring a chain in restore input flushes it, so only the chains written change), and hooks them into the built-in chains
/// with one jump rule each, added once and checked with <c>-C</c>.
/// </summary>
public static class Iptables
{
    /// <summary>Applies restore input (one or more <c>*table … COMMIT</c> blocks) atomically per table, without flushing other chains.</summary>
    public static Task ApplyAsync(NetCommand command, string restoreInput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.RunAsync("iptables-restore", ["--noflush", "--wait"], restoreInput, cancellationToken);
    }

    /// <summary>
    /// Makes sure <paramref name="builtin"/> in <paramref name="table"/> jumps to <paramref name="chain"/> (created when missing),
    /// with <paramref name="match"/> arguments before the jump and a comment naming the owner; inserted first unless <paramref name="append"/>.
    /// </summary>
    public static async Task EnsureJumpAsync(
        NetCommand command, string table, string builtin, string chain, string comment, IReadOnlyList<string>? match = null, bool append = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        await command.TryRunAsync("iptables", ["-w", "-t", table, "-N", chain], cancellationToken: cancellationToken).ConfigureAwait(false);
        List<string> rule = [.. match ?? [], "-m", "comment", "--comment", comment, "-j", chain];
        var (exists, _, _) = await command.TryRunAsync("iptables", ["-w", "-t", table, "-C", builtin, .. rule], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (exists != 0)
        {
            await command.RunAsync("iptables", ["-w", "-t", table, append ? "-A" : "-I", builtin, .. rule], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>Removes a jump added by <see cref="EnsureJumpAsync"/> (every copy of it); absent rules are fine.</summary>
    public static async Task RemoveJumpAsync(
        NetCommand command, string table, string builtin, string chain, string comment, IReadOnlyList<string>? match = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        List<string> rule = [.. match ?? [], "-m", "comment", "--comment", comment, "-j", chain];
        for (int i = 0; i < 10; i++)
        {
            var (code, _, _) = await command.TryRunAsync("iptables", ["-w", "-t", table, "-D", builtin, .. rule], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            if (code != 0)
            {
                return;
            }
        }
    }

    /// <summary>Flushes and deletes every chain of <paramref name="table"/> whose name starts with <paramref name="prefix"/> (after the jumps into them are gone).</summary>
    public static async Task DeleteChainsAsync(NetCommand command, string table, string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        string saved = await command.RunAsync("iptables-save", ["-t", table], cancellationToken: cancellationToken).ConfigureAwait(false);
        List<string> chains = [.. ChainNames(saved).Where(c => c.StartsWith(prefix, StringComparison.Ordinal))];
        if (chains.Count == 0)
        {
            return;
        }

        var input = new StringBuilder();
        input.Append('*').Append(table).Append('\n');
        foreach (string chain in chains)
        {
            input.Append(':').Append(chain).Append(" - [0:0]\n");
        }

        foreach (string chain in chains)
        {
            input.Append("-X ").Append(chain).Append('\n');
        }

        input.Append("COMMIT\n");
        await ApplyAsync(command, input.ToString(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The user-defined and built-in chain names declared in <c>iptables-save</c> output (lines <c>:NAME POLICY [p:b]</c>).</summary>
    public static IEnumerable<string> ChainNames(string iptablesSave)
    {
        ArgumentNullException.ThrowIfNull(iptablesSave);
        foreach (string line in iptablesSave.Split('\n'))
        {
            if (line.StartsWith(':'))
            {
                int space = line.IndexOf(' ', StringComparison.Ordinal);
                yield return space < 0 ? line[1..] : line[1..space];
            }
        }
    }
}
