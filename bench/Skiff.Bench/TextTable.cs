namespace Skiff.Bench;

/// <summary>A plain-text table: the first column left-aligned, the rest right-aligned, columns padded to the widest cell.</summary>
internal sealed class TextTable
{
    private readonly List<string[]> _rows = [];

    public TextTable(params string[] header) => _rows.Add(header);

    public void Add(params string[] cells) => _rows.Add(cells);

    public void Write(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int columns = _rows.Max(r => r.Length);
        int[] widths = new int[columns];
        foreach (string[] row in _rows)
        {
            for (int c = 0; c < row.Length; c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        for (int r = 0; r < _rows.Count; r++)
        {
            string[] row = _rows[r];
            var line = new System.Text.StringBuilder("  ");
            for (int c = 0; c < row.Length; c++)
            {
                line.Append(c == 0 ? row[c].PadRight(widths[c]) : row[c].PadLeft(widths[c])).Append("  ");
            }

            output.WriteLine(line.ToString().TrimEnd());
            if (r == 0)
            {
                output.WriteLine("  " + new string('-', widths.Sum() + (2 * (columns - 1))));
            }
        }
    }
}
