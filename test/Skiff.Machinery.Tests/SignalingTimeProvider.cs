using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Skiff.Machinery.Tests;

/// <summary>A FakeTimeProvider that reports each timer it creates, so a test advances time only once a loop is parked.</summary>
internal sealed class SignalingTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>Waits until the code under test created its next timer (it is then waiting on this clock).</summary>
    public async Task<TimeSpan> NextTimerAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _created.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Advances by <paramref name="step"/> and waits for the next timer, <paramref name="times"/> times.</summary>
    public async Task StepAsync(TimeSpan step, int times)
    {
        for (int i = 0; i < times; i++)
        {
            Advance(step);
            await NextTimerAsync();
        }
    }
}
