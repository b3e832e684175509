using System.Diagnostics;
using System.Globalization;

namespace Skiff.Bench.Api;

/// <summary>
/// The vcluster-style profile: an open loop at a fixed request rate (arrivals do not wait for answers, as a syncer's many
/// informers and workers do not), a seeded mix of 50% GET, 20% LIST by label, 10% create, 10% merge-patch and 10% delete of
/// Secrets in one namespace holding thousands. Latency runs from just before each request is sent to its last response byte.
/// </summary>
internal static class MixedLoad
{
    private static readonly TimeSpan s_slowThreshold = TimeSpan.FromMilliseconds(100);

    public static async Task<MixedFigures> RunAsync(ApiClient client, string ns, ApiBenchSettings settings, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        int total = (int)(settings.MixedRatePerSecond * settings.MixedDuration.TotalSeconds);
        long interval = Stopwatch.Frequency / settings.MixedRatePerSecond;
        int readable = settings.Secrets - settings.DeletableSecrets;
        var random = new Random(20_240_601); // Fixed seed: every run and both backends get the same sequence of requests.
        var recorder = new Recorder();
        var inFlight = new List<Task>(total);
        int deleted = 0;
        int created = 0;
        string collection = $"/api/v1/namespaces/{ns}/secrets";

        long started = Stopwatch.GetTimestamp();
        long maxLag = 0;
        for (int i = 0; i < total; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long due = started + (i * interval);
            long wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), timeProvider, cancellationToken);
            }

            maxLag = Math.Max(maxLag, Stopwatch.GetTimestamp() - due);
            int roll = random.Next(100);
            int target = random.Next(readable);
            // Paths and bodies are fixed here, in arrival order, not inside the request task, so the counters are never shared.
            string seeded = $"{collection}/{SeededSecret(target)}";
            string label = Label(target, settings);
            (MixedOperation operation, Func<Task<ApiResponse>> send) = roll switch
            {
                < 50 => (MixedOperation.Get, () => client.GetAsync(seeded, cancellationToken)),
                < 70 => (MixedOperation.ListByLabel, () => client.GetAsync($"{collection}?labelSelector=app%3D{label}", cancellationToken)),
                < 80 => Create(ApiObjects.Secret($"new-{created++:D5}", label)),
                < 90 => Patch(ApiObjects.SecretPatch(i)),
                // Deletes consume the secrets no read touches; if they ran out the request becomes a GET, so the rate holds.
                _ when deleted < settings.DeletableSecrets => Delete($"{collection}/{SeededSecret(readable + deleted++)}"),
                _ => (MixedOperation.Get, () => client.GetAsync(seeded, cancellationToken)),
            };
            Task request = TimeAsync(recorder, operation, send, started);

            (MixedOperation, Func<Task<ApiResponse>>) Create(byte[] body) => (MixedOperation.Create, () => client.CreateAsync(collection, body, cancellationToken));
            (MixedOperation, Func<Task<ApiResponse>>) Patch(byte[] body) => (MixedOperation.Patch, () => client.MergePatchAsync(seeded, body, cancellationToken));
            (MixedOperation, Func<Task<ApiResponse>>) Delete(string path) => (MixedOperation.Delete, () => client.DeleteAsync(path, cancellationToken));
            inFlight.Add(request);
        }

        await Task.WhenAll(inFlight);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        return recorder.Figures(total, elapsed, TimeSpan.FromSeconds((double)maxLag / Stopwatch.Frequency));
    }

    public static string SeededSecret(int index) => "s-" + index.ToString("D5", CultureInfo.InvariantCulture);

    public static string Label(int index, ApiBenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return "a" + (index % settings.SecretLabelValues).ToString(CultureInfo.InvariantCulture);
    }

    private static async Task TimeAsync(Recorder recorder, MixedOperation operation, Func<Task<ApiResponse>> send, long phaseStarted)
    {
        // Yield first so the arrival loop never waits for a request's synchronous part (TLS write, body copy).
        await Task.Yield();
        long start = Stopwatch.GetTimestamp();
        ApiResponse response;
        try
        {
            response = await send();
        }
        catch (HttpRequestException)
        {
            recorder.Add(operation, start - phaseStarted, Stopwatch.GetTimestamp() - start, success: false);
            return;
        }

        recorder.Add(operation, start - phaseStarted, Stopwatch.GetTimestamp() - start, response.IsSuccess);
    }

    /// <summary>Latencies from many concurrent requests; one lock, taken once per request (200/s), is far below measurement noise.</summary>
    private sealed class Recorder
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<MixedOperation, Latency> _byOperation = Enum.GetValues<MixedOperation>().ToDictionary(o => o, _ => new Latency());
        private readonly Latency _all = new();
        private readonly Latency _mutating = new();
        private readonly long _slowTicks = (long)(s_slowThreshold.TotalSeconds * Stopwatch.Frequency);
        private long _totalTicks;
        private int _errors;
        private int _slow;
        private long _firstSlowSent = long.MaxValue;
        private long _lastSlowSent = long.MinValue;

        public void Add(MixedOperation operation, long sentAt, long ticks, bool success)
        {
            lock (_lock)
            {
                // Where the slow requests sit in the phase tells one stall (a GC, a checkpoint) from a steady queue.
                if (ticks > _slowTicks)
                {
                    _slow++;
                    _firstSlowSent = Math.Min(_firstSlowSent, sentAt);
                    _lastSlowSent = Math.Max(_lastSlowSent, sentAt);
                }

                _byOperation[operation].Record(ticks);
                _all.Record(ticks);
                _totalTicks += ticks;
                if (operation is MixedOperation.Create or MixedOperation.Patch or MixedOperation.Delete)
                {
                    _mutating.Record(ticks);
                }

                if (!success)
                {
                    _errors++;
                }
            }
        }

        public MixedFigures Figures(int requests, TimeSpan elapsed, TimeSpan maxLag)
        {
            lock (_lock)
            {
                double meanMs = _all.Count == 0 ? double.NaN : _totalTicks * 1000.0 / Stopwatch.Frequency / _all.Count;
                SlowWindow slow = _slow == 0
                    ? new SlowWindow(s_slowThreshold, 0, TimeSpan.Zero, TimeSpan.Zero)
                    : new SlowWindow(s_slowThreshold, _slow, Stopwatch.GetElapsedTime(0, _firstSlowSent), Stopwatch.GetElapsedTime(0, _lastSlowSent));
                return new MixedFigures(requests, elapsed, meanMs, _all, _mutating, _byOperation, _errors, maxLag, slow);
            }
        }
    }
}
