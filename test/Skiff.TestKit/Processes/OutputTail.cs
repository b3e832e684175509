namespace Skiff.TestKit.Processes;

/// <summary>The last lines a child process wrote to stdout and stderr, bounded so a chatty child cannot grow the test's memory.</summary>
internal sealed class OutputTail(int linesKept)
{
    private readonly Queue<string> _lines = new();

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > linesKept)
            {
                _lines.Dequeue();
            }
        }
    }

    public override string ToString()
    {
        lock (_lines)
        {
            return string.Join('\n', _lines);
        }
    }
}
