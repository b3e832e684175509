using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Skiff.Bench.Api;

/// <summary>
/// Many watch streams on one ConfigMap (a field selector on its name), over HTTP/2 so that the streams share a few TLS
/// connections as client-go's do. The writer stamps a round number into the object; each watcher records when the line
/// carrying that round arrived, and delivery latency is that receipt minus the time just before the write was sent.
/// </summary>
internal static class WatchFanout
{
    private const string ObjectName = "watched";
    private const int OpenParallelism = 50;
    private static readonly TimeSpan s_roundTimeout = TimeSpan.FromSeconds(15);
    private const string RoundMarker = "\"round\":\"";

    public static async Task<WatchFanoutFigures> RunAsync(
        ApiClient watchClient,
        ApiClient writer,
        string ns,
        ApiBenchSettings settings,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        int watchers = settings.Watchers;
        int rounds = settings.WatchRounds;
        string collection = $"/api/v1/namespaces/{ns}/configmaps";
        ApiClient.EnsureSuccess(await writer.CreateAsync(collection, ApiObjects.ConfigMap(ObjectName), cancellationToken), "create the watched ConfigMap");
        ApiResponse current = ApiClient.EnsureSuccess(await writer.GetWithBodyAsync($"{collection}/{ObjectName}", cancellationToken), "get the watched ConfigMap");
        string resourceVersion = ResourceVersion(current);
        string watchPath = $"{collection}?watch=true&fieldSelector=metadata.name%3D{ObjectName}&resourceVersion={resourceVersion}&timeoutSeconds=600";

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var streams = new HttpResponseMessage?[watchers];
        long[,] receipts = new long[watchers, rounds + 1];
        int[] waiting = [.. Enumerable.Repeat(watchers, rounds + 1)];
        TaskCompletionSource[] delivered = [.. Enumerable.Range(0, rounds + 1).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
        Task[] readers = [];
        long[] sent = new long[rounds + 1];
        var acknowledge = new Latency();
        int timedOutRounds = 0;
        TimeSpan openTime;
        try
        {
            long openStarted = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(
                Enumerable.Range(0, watchers),
                new ParallelOptions { MaxDegreeOfParallelism = OpenParallelism, CancellationToken = cancellationToken },
                async (w, token) => streams[w] = await watchClient.OpenStreamAsync(watchPath, token));
            openTime = Stopwatch.GetElapsedTime(openStarted);

            // Round 0 is untimed: it proves every stream delivers before the timed rounds start.
            readers = [.. Enumerable.Range(0, watchers).Select(w => ReadAsync(w, streams[w], receipts, waiting, delivered, stop.Token))];
            for (int round = 0; round <= rounds; round++)
            {
                byte[] patch = ApiObjects.RoundPatch(round);
                sent[round] = Stopwatch.GetTimestamp();
                ApiClient.EnsureSuccess(await writer.MergePatchAsync($"{collection}/{ObjectName}", patch, cancellationToken), "patch the watched ConfigMap");
                if (round > 0)
                {
                    acknowledge.RecordSince(sent[round]);
                }

                try
                {
                    await delivered[round].Task.WaitAsync(s_roundTimeout, timeProvider, cancellationToken);
                }
                catch (TimeoutException)
                {
                    timedOutRounds++;
                }

                await Task.Delay(settings.WatchRoundInterval, timeProvider, cancellationToken);
            }
        }
        finally
        {
            await stop.CancelAsync();
            foreach (HttpResponseMessage? stream in streams)
            {
                stream?.Dispose();
            }

            await Task.WhenAll(readers); // Readers end quietly once the streams are disposed.
        }

        var delivery = new Latency();
        for (int round = 1; round <= rounds; round++)
        {
            for (int w = 0; w < watchers; w++)
            {
                if (receipts[w, round] != 0)
                {
                    delivery.Record(receipts[w, round] - sent[round]);
                }
            }
        }

        return new WatchFanoutFigures(watchers, rounds, openTime, delivery, acknowledge, timedOutRounds);
    }

    private static async Task ReadAsync(int watcher, HttpResponseMessage? response, long[,] receipts, int[] waiting, TaskCompletionSource[] delivered, CancellationToken cancellationToken)
    {
        if (response is null)
        {
            return;
        }

        try
        {
            await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(body);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                long now = Stopwatch.GetTimestamp();
                int round = RoundOf(line);
                if (round >= 0 && round < delivered.Length && receipts[watcher, round] == 0)
                {
                    receipts[watcher, round] = now;
                    if (Interlocked.Decrement(ref waiting[round]) == 0)
                    {
                        delivered[round].TrySetResult();
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException or ObjectDisposedException)
        {
            // The run is over (or the stream broke, which shows up as missing deliveries in the report).
        }
    }

    private static int RoundOf(string line)
    {
        int at = line.IndexOf(RoundMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return -1;
        }

        int start = at + RoundMarker.Length;
        int end = line.IndexOf('"', start);
        return end > start && int.TryParse(line.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out int round) ? round : -1;
    }

    private static string ResourceVersion(ApiResponse response)
    {
        using JsonDocument document = JsonDocument.Parse(response.Body ?? []);
        return document.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()
            ?? throw new InvalidOperationException("the watched ConfigMap has no resourceVersion");
    }
}
