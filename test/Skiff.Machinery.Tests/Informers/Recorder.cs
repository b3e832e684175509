using System.Threading.Channels;
using k8s.Models;
using Skiff.Machinery.Informers;

namespace Skiff.Machinery.Tests.Informers;

/// <summary>Records notifications as "add ns/name@rv", "update ns/name@rv->rv", "delete ns/name", awaitable one by one.</summary>
internal sealed class Recorder(string name = "") : IInformerHandler<V1Pod>
{
    private readonly Channel<string> _events = Channel.CreateUnbounded<string>();

    public List<string> Log { get; } = [];

    public void OnAdd(V1Pod obj) => Record($"{name}add {ObjectKeys.Of(obj)}@{obj.Metadata.ResourceVersion}");

    public void OnUpdate(V1Pod oldObj, V1Pod newObj) =>
        Record($"{name}update {ObjectKeys.Of(newObj)}@{oldObj.Metadata.ResourceVersion}->{newObj.Metadata.ResourceVersion}");

    public void OnDelete(V1Pod obj) => Record($"{name}delete {ObjectKeys.Of(obj)}");

    public async Task<string[]> NextAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var result = new string[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = await _events.Reader.ReadAsync(timeout.Token);
        }

        return result;
    }

    private void Record(string e)
    {
        lock (Log)
        {
            Log.Add(e);
        }

        _events.Writer.TryWrite(e);
    }
}
