namespace Skiff.Machinery.Informers;

/// <summary>An <see cref="IInformerHandler{T}"/> from delegates; any of them may be left out.</summary>
public sealed class InformerHandler<T> : IInformerHandler<T>
{
    private readonly Action<T>? _onAdd;
    private readonly Action<T, T>? _onUpdate;
    private readonly Action<T>? _onDelete;

    public InformerHandler(Action<T>? onAdd = null, Action<T, T>? onUpdate = null, Action<T>? onDelete = null)
    {
        _onAdd = onAdd;
        _onUpdate = onUpdate;
        _onDelete = onDelete;
    }

    public void OnAdd(T obj) => _onAdd?.Invoke(obj);

    public void OnUpdate(T oldObj, T newObj) => _onUpdate?.Invoke(oldObj, newObj);

    public void OnDelete(T obj) => _onDelete?.Invoke(obj);
}
