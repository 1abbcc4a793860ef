import socket, sys, time
port=int(sys.argv[1]); path=sys.argv[2]; mode=sys.argv[3]; total=int(sys.argv[4])
s=socket.create_connection(('127.0.0.1',port))
if mode=='sized':
    s.sendall(f'POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {total}\r\n\r\n'.encode())
else:
    s.sendall(f'POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'.encode())
chunk=b'a'*65536; sent=0; t0=time.time(); resp=b''
s.settimeout(0.0)
try:
    while sent<total:
        try:
            d=s.recv(65536)
            if d: resp+=d; break
        except BlockingIOError: pass
        data = chunk if mode=='sized' else (b'%x\r\n'%len(chunk))+chunk+b'\r\n'
        s.settimeout(5); s.sendall(data); s.settimeout(0.0); sent+=len(chunk)
except Exception as e: print('send stopped:', e)
s.settimeout(3)
try:
    while b'\r\n\r\n' not in resp: 
        d=s.recv(65536)
        if not d: break
        resp+=d
except Exception as e: print('recv', e)
print(f'sent {sent/1e6:.1f} MB in {time.time()-t0:.2f}s; resp: {resp[:160]!r}')
