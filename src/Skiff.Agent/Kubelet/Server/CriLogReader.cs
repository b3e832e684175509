using System.Text;

namespace Skiff.Agent.Kubelet.Server;

/// <summary>
/// Turns a CRI log file into what <c>kubectl logs</c> prints: partial lines joined with the rest of their line (per stream),
/// then since, tail, timestamps and limitBytes applied; with follow it keeps reading what the runtime appends until
/// <c>stillRunning</c> says the container ended (then drains the file once more) or the caller cancels.
/// </summary>
public sealed class CriLogReader
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_runningCheckInterval = TimeSpan.FromSeconds(1);

    private readonly Stream _file;
    private readonly Stream _output;
    private readonly ContainerLogOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (CriLogLine First, MemoryStream Text)> _pending = new(StringComparer.Ordinal);
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private long _remaining;

    public CriLogReader(Stream file, Stream output, ContainerLogOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        _file = file;
        _output = output;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _remaining = options.LimitBytes is > 0 and var limit ? limit : long.MaxValue;
    }

    /// <summary>
    /// Copies the log to the output. With <see cref="ContainerLogOptions.Follow"/> it then polls the file for appended lines,
    /// flushing each batch, until <paramref name="stillRunning"/> answers false or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task CopyAsync(Func<CancellationToken, ValueTask<bool>>? stillRunning, CancellationToken cancellationToken)
    {
        Queue<(CriLogLine First, byte[] Text)>? tail = _options.TailLines is >= 0 ? new Queue<(CriLogLine, byte[])>() : null;
        bool more = true;
        while (await ReadMoreAsync(cancellationToken).ConfigureAwait(false))
        {
            more = await DrainLinesAsync(tail, cancellationToken).ConfigureAwait(false);
            if (!more)
            {
                break;
            }
        }

        if (tail is not null)
        {
            foreach ((CriLogLine first, byte[] text) in tail)
            {
                if (!await WriteAsync(first, text, cancellationToken).ConfigureAwait(false))
                {
                    more = false;
                    break;
                }
            }
        }

        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (!_options.Follow || !more || stillRunning is null)
        {
            return;
        }

        DateTimeOffset lastCheck = _time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await ReadMoreAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!await DrainLinesAsync(null, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (_time.GetUtcNow() - lastCheck >= s_runningCheckInterval)
            {
                lastCheck = _time.GetUtcNow();
                if (!await stillRunning(cancellationToken).ConfigureAwait(false))
                {
                    // The container ended: what it wrote before exiting is in the file by now.
                    while (await ReadMoreAsync(cancellationToken).ConfigureAwait(false) && await DrainLinesAsync(null, cancellationToken).ConfigureAwait(false))
                    {
                    }

                    await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
            }

            await Task.Delay(s_pollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads more of the file into the buffer; false at the current end of the file.</summary>
    private async ValueTask<bool> ReadMoreAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read = await _file.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }

    /// <summary>Handles every complete line in the buffer; false once limitBytes is used up.</summary>
    private async ValueTask<bool> DrainLinesAsync(Queue<(CriLogLine First, byte[] Text)>? tail, CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline < 0)
            {
                return true;
            }

            var line = new ReadOnlySpan<byte>(_buffer, _start, newline - _start);
            _start = newline + 1;
            if (!CriLogLine.TryParse(line, out CriLogLine? parsed) || parsed is null)
            {
                continue;
            }

            (CriLogLine First, byte[] Text)? complete = Join(parsed);
            if (complete is not { } whole || (_options.Since is { } since && whole.First.Time < since))
            {
                continue;
            }

            if (tail is not null)
            {
                tail.Enqueue(whole);
                while (tail.Count > _options.TailLines)
                {
                    tail.Dequeue();
                }

                continue;
            }

            if (!await WriteAsync(whole.First, whole.Text, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
    }

    /// <summary>Adds a line to its stream's partial text; returns the whole line (newline included) once its F part arrives.</summary>
    private (CriLogLine First, byte[] Text)? Join(CriLogLine line)
    {
        if (_pending.TryGetValue(line.Stream, out var pending))
        {
            pending.Text.Write(line.Content.Span);
            if (line.Partial)
            {
                return null;
            }

            _pending.Remove(line.Stream);
            pending.Text.WriteByte((byte)'\n');
            return (pending.First, pending.Text.ToArray());
        }

        if (line.Partial)
        {
            var text = new MemoryStream();
            text.Write(line.Content.Span);
            _pending[line.Stream] = (line, text);
            return null;
        }

        byte[] whole = new byte[line.Content.Length + 1];
        line.Content.Span.CopyTo(whole);
        whole[^1] = (byte)'\n';
        return (line, whole);
    }

    /// <summary>Writes one line (with its timestamp when asked); false once limitBytes is used up.</summary>
    private async ValueTask<bool> WriteAsync(CriLogLine first, byte[] text, CancellationToken cancellationToken)
    {
        if (_options.Timestamps)
        {
            byte[] prefix = Encoding.ASCII.GetBytes(first.Timestamp + " ");
            if (!await WriteLimitedAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return await WriteLimitedAsync(text, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> WriteLimitedAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        int count = (int)Math.Min(bytes.Length, _remaining);
        await _output.WriteAsync(bytes.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        _remaining -= count;
        return _remaining > 0;
    }
}
