using System.Text;

namespace Skiff.Agent.Proxy;

/// <summary>
/// The proxy's whole desired state: for the nat and filter tables, every chain it owns and that chain's rules (the
/// <c>-A CHAIN …</c> lines, joined). Immutable once built; the last one written is kept so the next sync rewrites only the
/// chains whose text changed (<see cref="RestoreInput"/>). A set can also be put together from already-rendered parts
/// (<see cref="Concat"/>), which is how a sync reuses the rules of the Service ports that did not change.
/// </summary>
public sealed class RuleSet
{
    public const string Nat = "nat";
    public const string Filter = "filter";

    private readonly Dictionary<string, Dictionary<string, StringBuilder>> _tables = new(StringComparer.Ordinal)
    {
        [Nat] = new(StringComparer.Ordinal),
        [Filter] = new(StringComparer.Ordinal),
    };

    private Dictionary<string, IReadOnlyDictionary<string, string>>? _frozen;
    private int _ruleCount;

    /// <summary>
    /// One set from <paramref name="parts"/>, each chain holding the rules of every part that has it, in the order of the parts. A chain
    /// only one part has keeps that part's string as is: a reused part then costs no copy, and the next diff compares it by reference.
    /// </summary>
    internal static RuleSet Concat(IReadOnlyList<RuleSet> parts)
    {
        var result = new RuleSet();
        var frozen = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (string table in new[] { Nat, Filter })
        {
            var chains = new Dictionary<string, string>(StringComparer.Ordinal);
            var joined = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
            foreach (RuleSet part in parts)
            {
                foreach ((string chain, string text) in part.Chains(table))
                {
                    if (chains.TryAdd(chain, text))
                    {
                        continue;
                    }

                    if (!joined.TryGetValue(chain, out StringBuilder? builder))
                    {
                        joined[chain] = builder = new StringBuilder(chains[chain]);
                    }

                    builder.Append(text);
                }
            }

            foreach ((string chain, StringBuilder builder) in joined)
            {
                chains[chain] = builder.ToString();
            }

            frozen[table] = chains;
        }

        result._frozen = frozen;
        result._ruleCount = parts.Sum(p => p._ruleCount);
        return result;
    }

    /// <summary>Every chain of <paramref name="table"/> and its rule lines (each ending in a newline).</summary>
    public IReadOnlyDictionary<string, string> Chains(string table)
    {
        Freeze();
        return _frozen![table];
    }

    /// <summary>The rules of one chain as lines without the trailing newline (empty when the chain is absent or has no rules).</summary>
    public IReadOnlyList<string> Rules(string table, string chain) =>
        Chains(table).TryGetValue(chain, out string? text) ? text.Split('\n', StringSplitOptions.RemoveEmptyEntries) : [];

    public int RuleCount => _ruleCount;

    /// <summary>Declares <paramref name="chain"/> (idempotent); a chain without rules is still written (and so flushed).</summary>
    internal void AddChain(string table, string chain)
    {
        if (_frozen is not null)
        {
            throw new InvalidOperationException("The rule set is frozen.");
        }

        Dictionary<string, StringBuilder> chains = _tables[table];
        if (!chains.ContainsKey(chain))
        {
            chains[chain] = new StringBuilder();
        }
    }

    /// <summary>Appends <c>-A chain args</c>; the chain is declared if needed.</summary>
    internal void Add(string table, string chain, string args)
    {
        AddChain(table, chain);
        _ruleCount++;
        _tables[table][chain].Append("-A ").Append(chain).Append(' ').Append(args).Append('\n');
    }

    /// <summary>
    /// The <c>iptables-restore --noflush</c> input that turns the chains written from <paramref name="previous"/> into this set: the
    /// chains that are new or whose rules changed are declared (which flushes them) and refilled, and chains of
    /// <paramref name="previous"/> that are gone are flushed and deleted. Without <paramref name="previous"/> (a full sync) every
    /// chain is written, and the chains in <paramref name="existing"/> (per table, such as leftovers of an earlier run) that this set
    /// lacks are deleted. Returns null when nothing changed.
    /// </summary>
    public string? RestoreInput(RuleSet? previous, IReadOnlyDictionary<string, IReadOnlyCollection<string>>? existing = null)
    {
        var input = new StringBuilder();
        foreach (string table in new[] { Filter, Nat })
        {
            IReadOnlyDictionary<string, string> chains = Chains(table);
            IReadOnlyDictionary<string, string>? before = previous?.Chains(table);
            List<string> changed = [.. chains.Where(c => before is null || !before.TryGetValue(c.Key, out string? old) || old != c.Value)
                .Select(c => c.Key).Order(StringComparer.Ordinal)];
            IEnumerable<string> candidates = before?.Keys ?? (existing is not null && existing.TryGetValue(table, out var e) ? e : []);
            List<string> gone = [.. candidates.Where(c => !chains.ContainsKey(c)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            if (changed.Count == 0 && gone.Count == 0)
            {
                continue;
            }

            input.Append('*').Append(table).Append('\n');
            foreach (string chain in changed.Concat(gone))
            {
                input.Append(':').Append(chain).Append(" - [0:0]\n");
            }

            foreach (string chain in changed)
            {
                input.Append(chains[chain]);
            }

            foreach (string chain in gone)
            {
                input.Append("-X ").Append(chain).Append('\n');
            }

            input.Append("COMMIT\n");
        }

        return input.Length == 0 ? null : input.ToString();
    }

    /// <summary>How many chains <see cref="RestoreInput"/> rewrites and deletes going from <paramref name="previous"/> to this set.</summary>
    public (int Changed, int Deleted) CountChanges(RuleSet? previous)
    {
        int changed = 0;
        int deleted = 0;
        foreach (string table in new[] { Filter, Nat })
        {
            IReadOnlyDictionary<string, string> chains = Chains(table);
            IReadOnlyDictionary<string, string>? before = previous?.Chains(table);
            changed += chains.Count(c => before is null || !before.TryGetValue(c.Key, out string? old) || old != c.Value);
            deleted += before?.Keys.Count(c => !chains.ContainsKey(c)) ?? 0;
        }

        return (changed, deleted);
    }

    private void Freeze()
    {
        _frozen ??= _tables.ToDictionary(
            t => t.Key,
            t => (IReadOnlyDictionary<string, string>)t.Value.ToDictionary(c => c.Key, c => c.Value.ToString(), StringComparer.Ordinal),
            StringComparer.Ordinal);
    }
}
